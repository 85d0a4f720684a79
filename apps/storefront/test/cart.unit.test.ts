import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CartError, maxCartLines, normalizeCart } from '../server/cart.ts';

const a = '00000000-0000-4000-8000-00000000000a';
const b = '00000000-0000-4000-8000-00000000000b';

test('normalizeCart merges lines of one product, keeping first-seen order', () => {
  assert.deepEqual(
    normalizeCart([
      { productId: b, quantity: 1 },
      { productId: a, quantity: 2 },
      { productId: b, quantity: 3 },
    ]),
    [
      { productId: b, quantity: 4 },
      { productId: a, quantity: 2 },
    ],
  );
});

test('normalizeCart refuses more than 1000 of one product after merging', () => {
  assert.throws(
    () => normalizeCart([{ productId: a, quantity: 600 }, { productId: a, quantity: 401 }]),
    (err: Error) => err instanceof CartError && err.message === 'At most 1,000 of one product fit in a cart' && !err.message.includes(a),
  );
});

test('normalizeCart refuses more than the maximum number of products', () => {
  const lines = Array.from({ length: maxCartLines + 1 }, (_, i) => ({ productId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, quantity: 1 }));
  assert.throws(() => normalizeCart(lines), CartError);
  assert.equal(normalizeCart(lines.slice(0, maxCartLines)).length, maxCartLines);
});
