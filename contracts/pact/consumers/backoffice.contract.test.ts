// The backoffice web app's API client (apps/backoffice/web/src/api.ts), used by staff: catalog
// maintenance, stock levels, the orders admin view and notifications.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { MatchersV3 } from '@pact-foundation/pact';
import { atOrigin, bearerLike, emulateBrowser, exampleToken } from '../support/browser.ts';
import { currency, examples, orderBody, pactBetween, productV2Body, timestamp, uuid } from '../support/pact.ts';

const { eachLike, fromProviderState, integer, regex, string } = MatchersV3;

const token = exampleToken({ sub: examples.customerId, email: 'staff@example.com', role: 'staff', exp: 4102444800 });
const staffHeaders = { accept: 'application/json', authorization: bearerLike(token) };
const staffJsonHeaders = { 'content-type': 'application/json', authorization: bearerLike(token) };

const product = { ...productV2Body(), createdAt: timestamp(), updatedAt: timestamp() };
const stockLevel = { productId: uuid(examples.productId), available: integer(25), reserved: integer(0) };
const order = { ...orderBody(), customerId: uuid(examples.customerId) };

type BackofficeApi = typeof import('../../../apps/backoffice/web/src/api.ts');
let backoffice: BackofficeApi;

before(async () => {
  emulateBrowser({ 'meridian.backoffice.token': token });
  backoffice = await import('../../../apps/backoffice/web/src/api.ts');
});

test('backoffice -> catalog: list every product, create one, change its price', async () => {
  const catalog = pactBetween('backoffice', 'catalog');
  await catalog
    .addInteraction()
    .given('a product is on sale')
    .uponReceiving('a staff request for all products, inactive ones included (v2)')
    .withRequest('GET', '/api/v2/products', (b) => b.query({ includeInactive: 'true' }).headers(staffHeaders))
    .willRespondWith(200, (b) => b.jsonBody({ items: eachLike(product), nextCursor: null }))
    .executeTest((server) =>
      atOrigin(server.url, async () => {
        const page = await backoffice.api.products({ includeInactive: true });
        assert.equal(page.items[0].price.currency, 'EUR');
      }),
    );

  const input = { sku: 'GRINDER-1', name: 'Burr Grinder', description: 'Conical burrs', category: 'Kitchen', price: { amount: 8900, currency: 'EUR' } };
  await catalog
    .addInteraction()
    .uponReceiving('a new product from staff (v2)')
    .withRequest('POST', '/api/v2/products', (b) => b.headers(staffJsonHeaders).jsonBody({ ...input, sku: string(input.sku) }))
    .willRespondWith(201, (b) => b.jsonBody({ ...product, sku: string(input.sku), name: string(input.name) }))
    .executeTest((server) =>
      atOrigin(server.url, async () => {
        const created = await backoffice.api.createProduct(input);
        assert.equal(created.active, true);
      }),
    );

  await catalog
    .addInteraction()
    .given('a product is on sale')
    .uponReceiving('a price change from staff (v2)')
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Pact provider-state expression, filled in by the provider
    .withRequest('PATCH', fromProviderState('/api/v2/products/${productId}', `/api/v2/products/${examples.productId}`), (b) =>
      b.headers(staffJsonHeaders).jsonBody({ price: { amount: integer(5499), currency: currency() } }),
    )
    .willRespondWith(200, (b) => b.jsonBody(product))
    .executeTest((server) =>
      atOrigin(server.url, async () => {
        const updated = await backoffice.api.updateProduct(examples.productId, { price: { amount: 5499, currency: 'EUR' } });
        assert.equal(updated.id, examples.productId);
      }),
    );
});

test('backoffice -> inventory: read and set stock levels', async () => {
  const inventory = pactBetween('backoffice', 'inventory');
  await inventory
    .addInteraction()
    .given('a product is stocked', { productId: examples.productId })
    .uponReceiving('a staff request for the stock of some products')
    .withRequest('GET', '/api/v1/inventory', (b) => b.query({ productIds: examples.productId }).headers(staffHeaders))
    .willRespondWith(200, (b) => b.jsonBody({ items: eachLike(stockLevel) }))
    .executeTest((server) =>
      atOrigin(server.url, async () => {
        const { items } = await backoffice.api.stocks([examples.productId]);
        assert.equal(items[0].productId, examples.productId);
      }),
    );

  await inventory
    .addInteraction()
    .uponReceiving('a new stock level from staff')
    .withRequest('PUT', `/api/v1/inventory/${examples.productId}`, (b) => b.headers(staffJsonHeaders).jsonBody({ available: integer(25) }))
    .willRespondWith(200, (b) => b.jsonBody(stockLevel))
    .executeTest((server) =>
      atOrigin(server.url, async () => {
        const level = await backoffice.api.setStock(examples.productId, 25);
        assert.equal(level.available, 25);
      }),
    );
});

test('backoffice -> orders: search orders, open one with its saga history', async () => {
  const orders = pactBetween('backoffice', 'orders');
  await orders
    .addInteraction()
    .given('the customer has an order')
    .uponReceiving('a staff search of all orders')
    .withRequest('GET', '/api/v1/admin/orders', (b) => b.query({ limit: '25' }).headers(staffHeaders))
    .willRespondWith(200, (b) => b.jsonBody({ items: eachLike(order), nextCursor: null }))
    .executeTest((server) =>
      atOrigin(server.url, async () => {
        const page = await backoffice.api.orders({});
        assert.equal(page.items[0].customerId, examples.customerId);
      }),
    );

  await orders
    .addInteraction()
    .given('the customer has an order')
    .uponReceiving('a staff request for an order with its history')
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Pact provider-state expression, filled in by the provider
    .withRequest('GET', fromProviderState('/api/v1/admin/orders/${orderId}', `/api/v1/admin/orders/${examples.orderId}`), (b) => b.headers(staffHeaders))
    .willRespondWith(200, (b) =>
      b.jsonBody({
        ...order,
        history: eachLike({
          eventId: uuid(examples.orderId),
          type: string('OrderPlaced'),
          version: integer(2),
          source: string('orders'),
          direction: regex('^(in|out)$', 'out'),
          outcome: regex('^(applied|recorded|ignored)$', 'applied'),
          recordedAt: timestamp(),
        }),
      }),
    )
    .executeTest((server) =>
      atOrigin(server.url, async () => {
        const found = await backoffice.api.order(examples.orderId);
        assert.equal(found.history[0].type, 'OrderPlaced');
      }),
    );
});

test('backoffice -> notifications: the notifications sent for an order', async () => {
  await pactBetween('backoffice', 'notifications')
    .addInteraction()
    .given('a notification was sent for an order', { orderId: examples.orderId })
    .uponReceiving('a staff request for the notifications of an order')
    .withRequest('GET', '/api/v1/notifications', (b) => b.query({ orderId: examples.orderId, limit: '25' }).headers(staffHeaders))
    .willRespondWith(200, (b) =>
      b.jsonBody({
        items: eachLike({
          id: uuid(examples.notificationId),
          orderId: uuid(examples.orderId),
          customerId: uuid(examples.customerId),
          channel: string('email'),
          recipient: string('shopper@example.com'),
          template: regex('^order-(confirmed|cancelled)$', 'order-confirmed'),
          subject: string('Your order is confirmed'),
          body: string('Thank you for your order.'),
          createdAt: timestamp(),
        }),
        nextCursor: null,
      }),
    )
    .executeTest((server) =>
      atOrigin(server.url, async () => {
        const page = await backoffice.api.notifications({ orderId: examples.orderId });
        assert.equal(page.items[0].orderId, examples.orderId);
      }),
    );
});
