// catalog verifies its consumers' pacts: the web apps' HTTP calls and orders' expectations of
// catalog.products events, answered with the events catalog's own code wrote to its outbox.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { catalogService } from '../../../services/catalog/src/service.ts';
import { startProvider, type RunningProvider } from '../support/provider.ts';
import { assertVerified, outboxEvents, verifyPacts } from '../support/verify.ts';

let catalog: RunningProvider;

before(async () => {
  catalog = await startProvider(catalogService);
});
after(() => catalog?.stop());

/** Creates a product through the staff API; returns its id. */
async function createProduct(): Promise<string> {
  const sku = `PACT-${randomBytes(4).toString('hex').toUpperCase()}`;
  const body = { sku, name: 'Pour-Over Kettle', description: 'Gooseneck, 1 l', category: 'Kitchen', priceCents: 4999 };
  const created = await catalog.call('/api/v1/products', { method: 'POST', token: catalog.staffToken, body });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body.id;
}

async function patchProduct(id: string, body: Record<string, unknown>): Promise<void> {
  const patched = await catalog.call(`/api/v1/products/${id}`, { method: 'PATCH', token: catalog.staffToken, body });
  assert.equal(patched.status, 200, JSON.stringify(patched.body));
}

test('catalog honours every pact its consumers published', async () => {
  const events = outboxEvents(catalog, {
    ProductCreated: async () => {
      const id = await createProduct();
      return catalog.outboxEvent('ProductCreated', (d) => d.productId === id);
    },
    ProductUpdated: async () => {
      const id = await createProduct();
      await patchProduct(id, { priceCents: 5499 });
      return catalog.outboxEvent('ProductUpdated', (d) => d.productId === id);
    },
    ProductDeactivated: async () => {
      const id = await createProduct();
      await patchProduct(id, { active: false });
      return catalog.outboxEvent('ProductDeactivated', (d) => d.productId === id);
    },
  });
  const outcomes = await verifyPacts({
    provider: 'catalog',
    providerBaseUrl: catalog.url,
    bearerFor: (consumer) => (consumer === 'backoffice' ? catalog.staffToken : catalog.customer.token),
    messageProviders: events.messageProviders,
    stateHandlers: {
      ...events.stateHandlers,
      'a product is on sale': async () => ({ productId: await createProduct() }),
    },
  });
  assert.deepEqual(outcomes.map((o) => o.consumer).sort(), ['backoffice', 'orders', 'storefront']);
  assertVerified(outcomes);
});
