import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { buyBySearch, createProduct, customerSignUp, env, eventually, staffSignIn, unique, waitForText, withBrowser } from './support.ts';

test('a customer signs up, finds a product by search, checks out and sees the order turn CONFIRMED live', async (t) => {
  await withBrowser(t, async (context) => {
    const backoffice = await context.newPage();
    await staffSignIn(backoffice, env.backoffice);
    const product = await createProduct(backoffice, { name: unique('Desk Lamp'), price: '19.90', stock: 5 });

    const shop = await context.newPage();
    await customerSignUp(shop);
    await buyBySearch(shop, product.name, 'tok_visa');
    // A marker on the page survives only if the status changes without a reload.
    await shop.evaluate(() => Object.assign(window, { e2eMarker: true }));
    await waitForText(shop.getByTestId('order-status'), 'CONFIRMED', 45_000);
    assert.equal(await shop.evaluate(() => 'e2eMarker' in window), true, 'the order page was reloaded');
    await waitForText(shop.getByRole('region', { name: 'Order status' }), 'Your order is confirmed');
  });
});

test('a declined payment cancels the order, says why in words, and the customer tries again from a refilled cart', async (t) => {
  await withBrowser(t, async (context) => {
    const backoffice = await context.newPage();
    await staffSignIn(backoffice, env.backoffice);
    const product = await createProduct(backoffice, { name: unique('Kettle'), price: '35.00', stock: 5 });

    const shop = await context.newPage();
    await customerSignUp(shop);
    await buyBySearch(shop, product.name, 'tok_decline');
    await waitForText(shop.getByTestId('order-status'), 'CANCELLED', 45_000);
    await waitForText(shop.getByTestId('order-reason'), 'Your card was declined. Try again with another payment method.');

    await shop.getByRole('button', { name: 'Put the items back in my cart and try again' }).click();
    await shop.waitForURL(/\/cart$/);
    await shop.getByRole('link', { name: product.name }).waitFor();
    await shop.getByLabel('Payment token').fill('tok_visa');
    await shop.getByRole('button', { name: 'Place order' }).click();
    await shop.waitForURL(/\/orders\/[0-9a-f-]{36}$/);
    await waitForText(shop.getByTestId('order-status'), 'CONFIRMED', 45_000);
  });
});

test('staff change a price in the back office and the storefront shows the new price', async (t) => {
  await withBrowser(t, async (context) => {
    const backoffice = await context.newPage();
    await staffSignIn(backoffice, env.backoffice);
    const product = await createProduct(backoffice, { name: unique('Teapot'), price: '10.00', stock: 1 });

    const shop = await context.newPage();
    await shop.goto(`${env.storefront}/products/${product.id}`);
    await waitForText(shop.getByLabel('Price'), '10.00');

    await backoffice.getByLabel('Price', { exact: true }).fill('12.34');
    await backoffice.getByRole('button', { name: 'Save changes' }).click();
    await waitForText(backoffice.getByRole('status'), 'Saved');

    // The catalog drops its cached copy when it sees its own ProductUpdated event.
    await eventually(
      async () => {
        await shop.reload();
        await waitForText(shop.getByLabel('Price'), '12.34', 1500);
      },
      { timeoutMs: 30_000 },
    );
  });
});

test('pages fit a phone-sized window and show problems without stack traces', async (t) => {
  await withBrowser(
    t,
    async (context) => {
      const page = await context.newPage();
      for (const url of [env.storefront, `${env.storefront}/signup`, env.backoffice, env.ops]) {
        await page.goto(url);
        await page.getByRole('heading').first().waitFor();
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `${url} scrolls sideways by ${overflow}px on a phone`);
      }
      await page.goto(`${env.storefront}/products/${randomUUID()}`);
      const alert = await waitForText(page.getByRole('alert'), 'Not found');
      assert.doesNotMatch(alert, /\bat .+:\d+:\d+|Error:/);
    },
    { width: 390, height: 844 },
  );
});
