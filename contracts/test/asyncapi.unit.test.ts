// The AsyncAPI document of the whole system, as the gateway serves it (each service's own document,
// merged), checked by the AsyncAPI parser and against what the services declare.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Parser } from '@asyncapi/parser';
import { mergeAsyncApi } from '@meridian/messaging';
import { eventsDocument } from '@meridian/service';
import { catalogService } from '../../services/catalog/src/service.ts';
import { identityService } from '../../services/identity/src/service.ts';
import { inventoryService } from '../../services/inventory/src/service.ts';
import { loggingService } from '../../services/logging/src/service.ts';
import { notificationsService } from '../../services/notifications/src/service.ts';
import { ordersService } from '../../services/orders/src/service.ts';
import { paymentsService } from '../../services/payments/src/service.ts';
import { allEvents } from '../index.ts';

const services = [catalogService, identityService, inventoryService(), loggingService(), notificationsService(), ordersService(), paymentsService()];
const document = mergeAsyncApi(
  { title: 'Meridian events', version: '1' },
  services.map((service) => eventsDocument(service)),
);

test('the merged document is valid AsyncAPI 3.0 (no error from the AsyncAPI parser)', async () => {
  const { document: parsed, diagnostics } = await new Parser().parse(JSON.stringify(document));
  const errors = diagnostics.filter((d) => d.severity === 0).map((d) => `${d.path.join('/')}: ${d.message}`);
  assert.deepEqual(errors, []);
  assert.ok(parsed, 'parsed');
  assert.equal(parsed.version(), '3.0.0');
  assert.equal(parsed.channels().length, 6); // catalog.products, identity.users, inventory.stock, inventory.levels, orders.events, payments.events
});

test('every event version is a message on its topic, and every producer and consumer an operation', () => {
  for (const event of allEvents) {
    for (const version of Object.keys(event.versions)) {
      const id = `${event.type}.v${version}`;
      assert.ok(document.components.messages[id], `message ${id}`);
      assert.ok(document.channels[event.topic.name]?.messages[id], `${id} on ${event.topic.name}`);
    }
  }
  assert.equal(document.operations['orders.send.OrderPlaced']?.action, 'send');
  for (const consumer of ['inventory', 'payments']) {
    assert.equal(document.operations[`${consumer}.receive.OrderPlaced`]?.action, 'receive', consumer);
  }
  // Notifications writes from the outcome events alone (v2 carries the email): it reads OrderPlaced past.
  assert.equal(document.operations['notifications.receive.OrderPlaced'], undefined);
  for (const outcome of ['OrderConfirmed', 'OrderCancelled']) {
    assert.equal(document.operations[`notifications.receive.${outcome}`]?.action, 'receive', outcome);
  }
  const sent = Object.keys(document.operations).filter((id) => id.includes('.send.')).map((id) => id.split('.')[2]).sort();
  assert.deepEqual(sent, allEvents.map((e) => e.type).sort(), 'each event has exactly one producer');
});
