// The first ten minutes of a newcomer: the test platform starts in a wiped namespace and is prepared the
// way `npm start` prepares a first start (scripts/seed.ts seedIfEmpty); nothing else is run before this.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { demoCatalog, demoStock } from '../services/catalog/src/seed/demoCatalog.ts';
import { buyBySearch, customerSignUp, env, eventually, waitForText, withBrowser } from './support.ts';

test('first run: the storefront shows the demo catalog and a customer orders an in-stock product until it is CONFIRMED', async (t) => {
  const demo = demoCatalog();
  // A demo product the seed stocked generously (some are out of stock on purpose).
  const index = demo.findIndex((_, i) => demoStock(i) >= 100);
  const product = demo[index]!;
  await withBrowser(t, async (context) => {
    const shop = await context.newPage();
    await shop.goto(env.storefront);
    const products = shop.getByRole('list', { name: 'Products' });
    const shown = await eventually(async () => {
      const count = await products.getByRole('link').count();
      assert.ok(count >= 12, `the home page lists the demo catalog (${count} products shown)`);
      return count;
    }, { timeoutMs: 30_000, intervalMs: 1000 });
    assert.ok(shown > 0);

    await customerSignUp(shop);
    await buyBySearch(shop, product.name, 'tok_visa');
    await waitForText(shop.getByTestId('order-status'), 'CONFIRMED', 45_000);
  });
});
