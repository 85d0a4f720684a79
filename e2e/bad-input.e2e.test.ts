// Bad input in the apps: the service refuses it, the form says why next to each field in words a person
// understands (never the validator's English or a raw field path), and nothing is stored or cut.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { env, staffSignIn, unique, waitForText, withBrowser } from './support.ts';

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
    await form.getByLabel('Name').fill(`Bad input fixed ${sku}`);
    await form.getByLabel('Currency').fill('CHF');
    await page.getByRole('button', { name: 'Create product' }).click();
    await page.waitForURL(/\/products\/[0-9a-f-]{36}$/);
  });
});
