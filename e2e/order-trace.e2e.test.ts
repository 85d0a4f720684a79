import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { buyBySearch, createProduct, customerSignUp, env, eventually, staffSignIn, unique, waitForText, withBrowser } from './support.ts';

const sagaServices = ['gateway', 'orders', 'inventory', 'payments', 'notifications'];

const sidewaysOverflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

test("staff see everything that happened to an order, across services, and open its trace in the ops console's logs", async (t) => {
  await withBrowser(t, async (context) => {
    const backoffice = await context.newPage();
    await staffSignIn(backoffice, env.backoffice);
    const product = await createProduct(backoffice, { name: unique('Trace Lamp'), price: '24.00', stock: 5 });

    const shop = await context.newPage();
    await customerSignUp(shop);
    const orderId = await buyBySearch(shop, product.name, 'tok_visa');
    await waitForText(shop.getByTestId('order-status'), 'CONFIRMED', 45_000);

    await backoffice.goto(`${env.backoffice}/orders/${orderId}`);
    const story = backoffice.getByRole('region', { name: 'Everything that happened to this order' });
    const services = story.getByRole('list', { name: 'Services in this trace' });
    // Lines reach the log index a moment after they are written; the page refreshes on its own.
    const seen = await eventually(
      async () => {
        const names = (await services.getByRole('listitem').allInnerTexts()).map((text) => text.trim().split(/\s+/)[0]);
        for (const service of sagaServices) assert.ok(names.includes(service), `${service} in ${names.join(', ')}`);
        return names;
      },
      { timeoutMs: 45_000, intervalMs: 1000 },
    );
    assert.ok(seen.length >= 5);
    const timeline = story.getByRole('list', { name: 'Log timeline' });
    for (const service of sagaServices) assert.ok((await timeline.locator(`li[data-service="${service}"]`).count()) > 0, `a ${service} line`);

    const traceId = (await backoffice.getByRole('link', { name: /^[0-9a-f]{32}$/ }).textContent()) ?? '';
    // The same order as spans in Zipkin: the trace page lists the services it went through.
    const zipkinLink = story.getByRole('link', { name: /Open the trace in Zipkin/ });
    assert.match((await zipkinLink.getAttribute('href')) ?? '', new RegExp(`/zipkin/traces/${traceId}$`));
    const [zipkin] = await Promise.all([context.waitForEvent('page'), zipkinLink.click()]);
    await eventually(async () => {
      const text = (await zipkin.locator('body').textContent()) ?? '';
      for (const service of sagaServices) assert.ok(text.toLowerCase().includes(service), `${service} on the Zipkin trace page`);
    }, { timeoutMs: 30_000, intervalMs: 1000 });
    await zipkin.close();
    const [ops] = await Promise.all([context.waitForEvent('page'), story.getByRole('link', { name: /Open these logs in the ops console/ }).click()]);
    await ops.waitForLoadState();
    assert.equal(new URL(ops.url()).pathname, '/logs');
    assert.equal(new URL(ops.url()).searchParams.get('traceId'), traceId);

    // The ops console has its own sign-in; the deep link survives it.
    await ops.getByLabel('Email').fill(env.staffEmail);
    await ops.getByLabel('Password').fill(env.staffPassword);
    await ops.getByRole('button', { name: 'Sign in' }).click();
    assert.equal(await ops.getByLabel('Trace id').inputValue(), traceId);
    const lines = ops.getByRole('table', { name: 'Log lines' });
    for (const service of sagaServices) await waitForText(lines, service);
    const traceLinks = lines.getByRole('link', { name: /^Trace / });
    assert.ok((await traceLinks.count()) > 0);
    for (const label of await traceLinks.evaluateAll((links) => links.map((link) => link.getAttribute('aria-label')))) {
      assert.equal(label, `Trace ${traceId}`, 'only lines of this trace');
    }

    // Narrowing the search by service goes through the form and stays in the URL.
    await ops.getByLabel('Service').fill('payments');
    await ops.getByRole('button', { name: 'Search' }).click();
    await ops.waitForURL(/service=payments/);
    await eventually(async () => {
      const shown = await lines.locator('tbody tr').allInnerTexts();
      assert.ok(shown.length > 0 && shown.every((row) => row.includes('payments')), shown.join('\n'));
    });

    for (const page of [backoffice, ops]) {
      await page.setViewportSize({ width: 390, height: 844 });
      assert.ok((await sidewaysOverflow(page)) <= 0, `${page.url()} scrolls sideways on a phone`);
    }
  });
});
