import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeReason, formatMoney, orderCancelled, orderConfirmed, recipientFor } from '../src/domain/templates.ts';

const orderId = '1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed';

test('formatMoney renders minor units with two decimals', () => {
  assert.equal(formatMoney(1234, 'EUR'), 'EUR 12.34');
  assert.equal(formatMoney(5, 'USD'), 'USD 0.05');
  assert.equal(formatMoney(0, 'EUR'), 'EUR 0.00');
});

test('confirmed message names the order and the total', () => {
  const m = orderConfirmed({ orderId, totalCents: 4999, currency: 'EUR' });
  assert.equal(m.template, 'order-confirmed');
  assert.equal(m.subject, 'Your order 1B9D6BCD is confirmed');
  assert.match(m.body, /EUR 49\.99/);
  assert.match(m.body, new RegExp(orderId));
});

test('cancelled message explains the reason in words', () => {
  assert.equal(describeReason('insufficient_stock'), 'some items are out of stock');
  assert.equal(describeReason('payment_declined: card_declined'), 'the payment was declined (card declined)');
  assert.equal(describeReason('saga_timeout'), 'we could not complete it in time');
  assert.equal(describeReason('something_new'), 'something new');
  const m = orderCancelled({ orderId }, 'insufficient_stock');
  assert.equal(m.template, 'order-cancelled');
  assert.match(m.body, /out of stock/);
});

test('recipient is the email when known (outcome events v2), else the customer id (v1)', () => {
  assert.equal(recipientFor('c1', 'ann@example.com'), 'ann@example.com');
  assert.equal(recipientFor('c1', null), 'customer:c1');
  assert.equal(recipientFor('c1', undefined), 'customer:c1');
});
