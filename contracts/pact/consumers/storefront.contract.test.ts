// The storefront web app's API client (apps/storefront/web/src/api.ts) against catalog, identity
// and orders, and the storefront server's live order feed (orders.events).
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { MatchersV3 } from '@pact-foundation/pact';
import { atOrigin, bearerLike, emulateBrowser, exampleToken } from '../support/browser.ts';
import { expectEvent } from '../support/events.ts';
import { examples, orderBody, pactBetween, productV2Body, uuid } from '../support/pact.ts';

const { eachLike, fromProviderState, integer, regex, string } = MatchersV3;

const customerEmail = 'shopper@example.com';
const token = exampleToken({ sub: examples.customerId, email: customerEmail, role: 'customer', exp: 4102444800 });
const bearer = bearerLike(token);

const productV2 = productV2Body();
const order = orderBody();

type StorefrontApi = typeof import('../../../apps/storefront/web/src/api.ts');
let storefront: StorefrontApi;

before(async () => {
  // A logged-in shopper: the session store reads the token from localStorage when the module loads.
  emulateBrowser({ 'meridian.storefront.token': token });
  storefront = await import('../../../apps/storefront/web/src/api.ts');
});

test('storefront -> catalog: browse products (v2) and categories', async () => {
  const catalog = pactBetween('storefront', 'catalog');
  await catalog
    .addInteraction()
    .given('a product is on sale')
    .uponReceiving('a request for the first page of products (v2)')
    .withRequest('GET', '/api/v2/products', (b) => b.headers({ accept: 'application/json' }))
    .willRespondWith(200, (b) => b.jsonBody({ items: eachLike(productV2), nextCursor: null }))
    .executeTest((server) =>
      atOrigin(server.url, async () => {
        const page = await storefront.api.products({});
        assert.equal(page.items[0].price.amount, 4999);
      }),
    );

  await catalog
    .addInteraction()
    .given('a product is on sale')
    .uponReceiving('a request for one product (v2)')
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Pact provider-state expression, filled in by the provider
    .withRequest('GET', fromProviderState('/api/v2/products/${productId}', `/api/v2/products/${examples.productId}`), (b) =>
      b.headers({ accept: 'application/json' }),
    )
    .willRespondWith(200, (b) => b.jsonBody(productV2))
    .executeTest((server) =>
      atOrigin(server.url, async () => {
        const product = await storefront.api.product(examples.productId);
        assert.equal(product.id, examples.productId);
      }),
    );

  await catalog
    .addInteraction()
    .given('a product is on sale')
    .uponReceiving('a request for the categories')
    .withRequest('GET', '/api/v1/categories', (b) => b.headers({ accept: 'application/json' }))
    .willRespondWith(200, (b) => b.jsonBody({ items: eachLike({ name: string('Kitchen'), count: integer(1) }) }))
    .executeTest((server) =>
      atOrigin(server.url, async () => {
        const { items } = await storefront.api.categories();
        assert.equal(items[0].name, 'Kitchen');
      }),
    );
});

test('storefront -> identity: register and log in', async () => {
  const identity = pactBetween('storefront', 'identity');
  const newcomer = { email: 'newcomer@example.com', password: 'newcomer-password', name: 'New Comer' };
  await identity
    .addInteraction()
    .given('no account uses the email', { email: newcomer.email })
    .uponReceiving('a registration of a customer account')
    .withRequest('POST', '/api/v1/auth/register', (b) => b.headers({ 'content-type': 'application/json' }).jsonBody(newcomer))
    .willRespondWith(201, (b) => b.jsonBody({ id: uuid(examples.customerId), email: string(newcomer.email) }))
    .executeTest((server) => atOrigin(server.url, () => storefront.api.register(newcomer)));

  const shopper = { email: customerEmail, password: 'shopper-password' };
  await identity
    .addInteraction()
    .given('a customer account exists', shopper)
    .uponReceiving('a login with the right password')
    .withRequest('POST', '/api/v1/auth/login', (b) => b.headers({ 'content-type': 'application/json' }).jsonBody(shopper))
    .willRespondWith(200, (b) => b.jsonBody({ accessToken: regex('^[\\w-]+\\.[\\w-]+\\.[\\w-]+$', token) }))
    .executeTest((server) =>
      atOrigin(server.url, async () => {
        const session = await storefront.session.login(shopper.email, shopper.password);
        assert.equal(session.user.id, examples.customerId);
      }),
    );
});

test('storefront -> orders: place an order, then follow it', async () => {
  const orders = pactBetween('storefront', 'orders');
  const placement = { items: [{ productId: examples.productId, quantity: 2 }], paymentToken: 'tok_visa' };
  await orders
    .addInteraction()
    .given('a product is on sale', { productId: examples.productId })
    .uponReceiving('an order placed by a customer')
    .withRequest('POST', '/api/v1/orders', (b) =>
      b
        .headers({ 'content-type': 'application/json', authorization: bearer, 'idempotency-key': string('checkout-1') })
        .jsonBody({ items: eachLike({ productId: uuid(examples.productId), quantity: integer(2) }), paymentToken: string('tok_visa') }),
    )
    .willRespondWith(202, (b) => b.jsonBody({ id: uuid(examples.orderId), status: 'PENDING' }))
    .executeTest((server) =>
      atOrigin(server.url, async () => {
        const accepted = await storefront.api.placeOrder(placement, 'checkout-1');
        assert.equal(accepted.status, 'PENDING');
      }),
    );

  await orders
    .addInteraction()
    .given('the customer has an order')
    .uponReceiving("a request for one of the customer's orders")
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Pact provider-state expression, filled in by the provider
    .withRequest('GET', fromProviderState('/api/v1/orders/${orderId}', `/api/v1/orders/${examples.orderId}`), (b) =>
      b.headers({ accept: 'application/json', authorization: bearer }),
    )
    .willRespondWith(200, (b) => b.jsonBody(order))
    .executeTest((server) =>
      atOrigin(server.url, async () => {
        const found = await storefront.api.order(examples.orderId);
        assert.equal(found.items[0].quantity, 2);
      }),
    );

  await orders
    .addInteraction()
    .given('the customer has an order')
    .uponReceiving("a request for the customer's orders")
    .withRequest('GET', '/api/v1/orders', (b) => b.query({ limit: '20' }).headers({ accept: 'application/json', authorization: bearer }))
    .willRespondWith(200, (b) => b.jsonBody({ items: eachLike(order), nextCursor: null }))
    .executeTest((server) =>
      atOrigin(server.url, async () => {
        const page = await storefront.api.orders(undefined);
        assert.equal(page.items.length, 1);
      }),
    );
});

test('storefront <- orders: the live order page learns outcomes from orders.events', async () => {
  const { orderUpdateFrom } = await import('../../../apps/storefront/server/orderEvents.ts');
  const orders = pactBetween('storefront', 'orders');
  const feedMessage = (value: unknown) => ({ topic: 'orders.events', partition: 0, offset: '0', key: examples.orderId, timestamp: examples.time, headers: {}, value });
  await expectEvent(orders, 'orders', 'OrderConfirmed', async (event) => {
    assert.equal(orderUpdateFrom(feedMessage(event))?.status, 'CONFIRMED');
  });
  await expectEvent(orders, 'orders', 'OrderCancelled', async (event) => {
    assert.deepEqual(orderUpdateFrom(feedMessage(event))?.reason, 'payment_declined');
  });
});
