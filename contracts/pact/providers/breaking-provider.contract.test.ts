// The net works: a copy of catalog whose v2 product renames `price` to `cost` (its response schema
// and its presenter, as a careless change would) fails the storefront's pact, and the failure
// names the consumer and the field. Nothing is recorded in the matrix for this copy.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { repoRoot } from '../../../tools/lib/paths.ts';
import { startProvider, type RunningProvider } from '../support/provider.ts';
import { verifyPacts } from '../support/verify.ts';

// Inside the repo (a dot folder, skipped by test discovery) so the copy resolves workspace packages.
const copy = mkdtempSync(join(repoRoot, 'contracts', 'pact', '.broken-catalog-'));
let catalog: RunningProvider;

/** Applies `edit` to a file of the copy; fails when it changed nothing (catalog moved on: update this test). */
function breakFile(path: string, edit: (text: string) => string): void {
  const file = join(copy, path);
  const before = readFileSync(file, 'utf8');
  const after = edit(before);
  assert.notEqual(after, before, `the breaking edit no longer applies to ${path}`);
  writeFileSync(file, after);
}

before(async () => {
  for (const part of ['src', 'migrations', 'package.json']) cpSync(join(repoRoot, 'services', 'catalog', part), join(copy, part), { recursive: true });
  breakFile('src/domain/product.ts', (text) => text.replace('price: { amount: priceCents, currency }', 'cost: { amount: priceCents, currency }'));
  breakFile('src/api/schemas.ts', (text) =>
    text.replace(/(export const ProductV2 = Type\.Object\(\{[\s\S]*?)\bprice:/, '$1cost:'),
  );
  const { catalogService } = await import(join(copy, 'src', 'service.ts'));
  catalog = await startProvider(catalogService);
});

after(async () => {
  await catalog?.stop();
  rmSync(copy, { recursive: true, force: true });
});

test('a provider that renames a field fails verification, naming the consumer and the field', async () => {
  const outcomes = await verifyPacts({
    provider: 'catalog',
    providerBaseUrl: catalog.url,
    recordTo: false,
    stateHandlers: {
      'a product is on sale': async () => {
        const body = { sku: `BROKEN-${randomBytes(4).toString('hex')}`, name: 'Kettle', category: 'Kitchen', priceCents: 4999 };
        const created = await catalog.call('/api/v1/products', { method: 'POST', token: catalog.staffToken, body });
        return { productId: created.body.id };
      },
    },
  }).then((all) => all.filter((o) => o.consumer === 'storefront'));

  assert.equal(outcomes.length, 1);
  const [storefront] = outcomes;
  assert.equal(storefront.ok, false);
  assert.match(storefront.error!, /pact between storefront and catalog/);
  assert.match(storefront.error!, /missing the following keys: price/);
});
