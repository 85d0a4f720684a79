import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availabilityOf, createAvailability, type StockLevel } from '../server/availability.ts';

const a = '00000000-0000-4000-8000-00000000000a';
const b = '00000000-0000-4000-8000-00000000000b';
const c = '00000000-0000-4000-8000-00000000000c';

test('a shopper is told in stock, only N left (5 or fewer) or out of stock, never the count of a well-stocked product', () => {
  assert.deepEqual(availabilityOf(a, 120), { productId: a, status: 'in_stock' });
  assert.deepEqual(availabilityOf(a, 6), { productId: a, status: 'in_stock' });
  assert.deepEqual(availabilityOf(a, 5), { productId: a, status: 'low', left: 5 });
  assert.deepEqual(availabilityOf(a, 1), { productId: a, status: 'low', left: 1 });
  assert.deepEqual(availabilityOf(a, 0), { productId: a, status: 'out_of_stock' });
});

function fakeInventory(levels: Record<string, number>) {
  const calls: string[][] = [];
  return {
    calls,
    async fetchLevels(ids: string[]): Promise<StockLevel[]> {
      calls.push(ids);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return ids.filter((id) => id in levels).map((id) => ({ productId: id, available: levels[id]! }));
    },
  };
}

test('misses are read in one batch, reused until they expire, and a product never stocked is out of stock', async () => {
  let clock = 1_000;
  const inventory = fakeInventory({ [a]: 50, [b]: 2 });
  const availability = createAvailability({ fetchLevels: inventory.fetchLevels, ttlMs: 3000, now: () => clock });
  assert.deepEqual(await availability.get([a, b, c, a]), [
    { productId: a, status: 'in_stock' },
    { productId: b, status: 'low', left: 2 },
    { productId: c, status: 'out_of_stock' },
  ]);
  assert.deepEqual(inventory.calls, [[a, b, c]]);
  clock += 2999;
  await availability.get([a, b]);
  assert.equal(inventory.calls.length, 1, 'still fresh: no read');
  clock += 2;
  await availability.get([a, c]);
  assert.deepEqual(inventory.calls[1], [a, c], 'expired: read again, in one batch');
});

test('concurrent calls share the pending read of a product', async () => {
  const inventory = fakeInventory({ [a]: 9, [b]: 0 });
  const availability = createAvailability({ fetchLevels: inventory.fetchLevels });
  const [first, second] = await Promise.all([availability.get([a]), availability.get([a, b])]);
  assert.deepEqual(first, [{ productId: a, status: 'in_stock' }]);
  assert.deepEqual(second, [{ productId: a, status: 'in_stock' }, { productId: b, status: 'out_of_stock' }]);
  assert.deepEqual(inventory.calls, [[a], [b]]);
});

test('a failed read fails its callers and is not remembered', async () => {
  let fail = true;
  const availability = createAvailability({
    async fetchLevels(ids) {
      if (fail) throw new Error('inventory down');
      return ids.map((productId) => ({ productId, available: 3 }));
    },
  });
  await assert.rejects(availability.get([a]), /inventory down/);
  fail = false;
  assert.deepEqual(await availability.get([a]), [{ productId: a, status: 'low', left: 3 }]);
});

test('past maxEntries the oldest half is forgotten', async () => {
  const inventory = fakeInventory({ [a]: 9, [b]: 9, [c]: 9 });
  const availability = createAvailability({ fetchLevels: inventory.fetchLevels, maxEntries: 2 });
  await availability.get([a]);
  await availability.get([b]);
  await availability.get([c]); // drops a
  await availability.get([b, c]);
  assert.equal(inventory.calls.length, 3, 'b and c still known');
  await availability.get([a]);
  assert.deepEqual(inventory.calls.at(-1), [a]);
});
