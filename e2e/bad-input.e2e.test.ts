// Bad input in the apps: the service refuses it, the form says why next to each field in words a person
// understands (never the validator's English or a raw field path), and nothing is stored or cut.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { demoCatalog, demoStock } from '../services/catalog/src/seed/demoCatalog.ts';
import { buyBySearch, createProduct, customerSignUp, env, eventually, staffSignIn, unique, waitForText, withBrowser } from './support.ts';

test('back office: an over-long name and an unknown currency are named next to their fields, and nothing is stored', async (t) => {
  const sku = unique('BAD').toUpperCase();
  await withBrowser(t, async (context) => {
    const page = await context.newPage();
    await staffSignIn(page, env.backoffice);
    await page.goto(`${env.backoffice}/products/new`);
    const form = page.getByRole('form', { name: 'New product' });
    await form.getByLabel('SKU').fill(sku);
    const longName = 'n'.repeat(5000);
    await form.getByLabel('Name').fill(longName);
    // The input takes all of it: no silent cut to 200 characters in the browser either.
    assert.equal((await form.getByLabel('Name').inputValue()).length, 5000);
    await form.getByLabel('Category').fill('E2E');
    await form.getByLabel('Price').fill('23.99');
    await form.getByLabel('Currency').fill('XYZ');
    await page.getByRole('button', { name: 'Create product' }).click();

    await waitForText(form.getByRole('alert').first(), 'Please check what you entered.');
    const nameLabel = form.locator('label', { hasText: 'Name' }).first();
    await waitForText(nameLabel, 'Name can be at most 200 characters long.');
    const currencyLabel = form.locator('label', { hasText: 'Currency' });
    await waitForText(currencyLabel, 'Currency is not an ISO 4217 currency code (for example EUR, USD or GBP).');
    const text = await form.innerText();
    assert.doesNotMatch(text, /must NOT|must match|price\.currency|schema/, 'no validator wording or field paths');
    assert.match(page.url(), /\/products\/new$/, 'still on the form, with what was typed');
    assert.equal((await form.getByLabel('Name').inputValue()).length, 5000);

    // Nothing was stored under that SKU.
    const found = await page.request.get(`${env.storefront}/api/v1/products?q=${encodeURIComponent(sku)}`);
    assert.equal(found.status(), 200);
    assert.deepEqual((await found.json()).items, []);

    // Corrected, the same form goes through.
    const category = `Kitchen ${sku}`;
    await form.getByLabel('Name').fill(`Bad input fixed ${sku}`);
    await form.getByLabel('Category').fill(category);
    await form.getByLabel('Currency').fill('CHF');
    await page.getByRole('button', { name: 'Create product' }).click();
    await page.waitForURL(/\/products\/[0-9a-f-]{36}$/);

    // The same category in other letters is the same category, shown as first spelled.
    await page.goto(`${env.backoffice}/products/new`);
    await form.getByLabel('SKU').fill(`${sku}-2`);
    await form.getByLabel('Name').fill(`Second ${sku}`);
    await form.getByLabel('Category').fill(category.toLowerCase());
    await form.getByLabel('Price').fill('5.00');
    await page.getByRole('button', { name: 'Create product' }).click();
    await page.waitForURL(/\/products\/[0-9a-f-]{36}$/);
    const categories = await (await page.request.get(`${env.storefront}/api/v1/categories`)).json();
    const same = (categories.items as { name: string; count: number }[]).filter((c) => c.name.toLowerCase() === category.toLowerCase());
    assert.deepEqual(same, [{ name: category, count: 2 }]);
  });
});

test('storefront: availability on cards and pages; wrong quantities are named and add nothing; out of stock cannot be added', async (t) => {
  const demo = demoCatalog();
  const soldOut = demo.find((_, i) => demoStock(i) === 0)!;
  const plenty = demo.find((_, i) => demoStock(i) >= 100)!;
  await withBrowser(t, async (context) => {
    const backoffice = await context.newPage();
    await staffSignIn(backoffice, env.backoffice);
    const few = await createProduct(backoffice, { name: unique('Teapot'), price: '18.00', stock: 3 });

    const shop = await context.newPage();
    await customerSignUp(shop);
    // A demo product stocked at 0: its card and its page say so, and it has no way into a cart.
    await shop.goto(`${env.storefront}/?q=${encodeURIComponent(soldOut.name)}`);
    const card = shop.getByRole('list', { name: 'Products' }).getByRole('link', { name: new RegExp(soldOut.name) }).first();
    await waitForText(card.getByTestId('stock'), 'Out of stock');
    await card.click();
    await waitForText(shop.getByTestId('stock'), 'Out of stock');
    await waitForText(shop.locator('article'), 'Out of stock for now: it cannot be added to a cart.');
    assert.equal(await shop.getByRole('button', { name: 'Add to cart' }).count(), 0);

    // A well-stocked demo product: past the cart's limit of one product is named, with the limit.
    await shop.goto(`${env.storefront}/?q=${encodeURIComponent(plenty.name)}`);
    await shop.getByRole('list', { name: 'Products' }).getByRole('link', { name: new RegExp(plenty.name) }).first().click();
    await waitForText(shop.getByTestId('stock'), 'In stock');
    await shop.getByLabel('Quantity').fill('1001');
    await shop.getByRole('button', { name: 'Add to cart' }).click();
    await waitForText(shop.locator('.field-error[data-field="quantity"]'), 'Quantity can be at most 1,000.');
    assert.equal(await shop.getByText('Added to your cart').count(), 0);

    // Three left: the page says so and the quantity is checked against it and the cart's rules.
    await shop.goto(`${env.storefront}/products/${few.id}`);
    await eventually(async () => {
      await shop.reload();
      await waitForText(shop.getByTestId('stock'), 'Only 3 left', 2000);
    });
    const quantity = shop.getByLabel('Quantity');
    const message = shop.locator('.field-error[data-field="quantity"]');
    const tries: [string, string][] = [
      ['0', 'Quantity must be at least 1.'],
      ['-3', 'Quantity must be at least 1.'],
      ['2.5', 'Quantity must be a whole number.'],
      ['4', 'Quantity is more than what is left: only 3 left.'],
    ];
    for (const [typed, sentence] of tries) {
      await quantity.fill(typed);
      await shop.getByRole('button', { name: 'Add to cart' }).click();
      await waitForText(message, sentence);
      assert.equal(await shop.getByText('Added to your cart').count(), 0, `${typed} added nothing`);
    }
    await quantity.fill('2');
    await shop.getByRole('button', { name: 'Add to cart' }).click();
    await waitForText(shop.getByRole('status'), 'Added to your cart (2 units).');
    await quantity.fill('2');
    await shop.getByRole('button', { name: 'Add to cart' }).click();
    await waitForText(message, 'Quantity is more than what is left: only 3 left, 2 of them already in your cart.');

    // In the cart: a negative quantity is named with the product, and the cart keeps 2.
    await shop.goto(`${env.storefront}/cart`);
    const line = shop.getByLabel(`Quantity of ${few.name}`);
    await waitForText(shop.getByRole('region', { name: 'Cart lines' }), few.name);
    assert.equal(await line.inputValue(), '2');
    await line.fill('-3');
    await line.blur();
    await waitForText(shop.getByRole('alert'), `Quantity of ${few.name} must be at least 0.`);
    await shop.reload();
    assert.equal(await shop.getByLabel(`Quantity of ${few.name}`).inputValue(), '2');
    const text = await shop.locator('main').innerText();
    assert.doesNotMatch(text, /[0-9a-f]{8}-[0-9a-f]{4}-/, 'no product id the person did not type');
  });
});

test('storefront: a token that is not a test token, and a provider that does not answer, are told apart from a decline', async (t) => {
  await withBrowser(t, async (context) => {
    const backoffice = await context.newPage();
    await staffSignIn(backoffice, env.backoffice);
    const product = await createProduct(backoffice, { name: unique('Carafe'), price: '12.00', stock: 20 });
    const shop = await context.newPage();
    await customerSignUp(shop);
    await buyBySearch(shop, product.name, 'tok_made_up');
    await waitForText(shop.getByTestId('order-status'), 'CANCELLED', 45_000);
    await waitForText(shop.getByTestId('order-reason'), 'The payment method was not recognised.');

    await buyBySearch(shop, product.name, 'tok_timeout');
    await waitForText(shop.getByTestId('order-status'), 'CANCELLED', 45_000);
    const reason = await waitForText(shop.getByTestId('order-reason'), 'The payment could not be confirmed');
    assert.match(reason, /Nothing was charged/);
    assert.doesNotMatch(reason, /declined/i);
  });
});
