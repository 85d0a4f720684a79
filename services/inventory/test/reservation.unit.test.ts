import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeLines, planReservation, releaseTotals, reservationExpiry } from '../src/domain/reservation.ts';

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const C = '00000000-0000-4000-8000-00000000000c';

test('mergeLines sums quantities per product and sorts by productId', () => {
  assert.deepEqual(
    mergeLines([
      { productId: C, quantity: 1 },
      { productId: A, quantity: 2 },
      { productId: C, quantity: 3 },
    ]),
    [
      { productId: A, quantity: 2 },
      { productId: C, quantity: 4 },
    ],
  );
});

test('planReservation reserves every line when all are in stock', () => {
  const plan = planReservation(
    [
      { productId: B, quantity: 2 },
      { productId: A, quantity: 5 },
    ],
    new Map([
      [A, 5],
      [B, 10],
    ]),
  );
  assert.deepEqual(plan, {
    ok: true,
    lines: [
      { productId: A, quantity: 5 },
      { productId: B, quantity: 2 },
    ],
  });
});

test('planReservation rejects the whole order and names every short line', () => {
  const plan = planReservation(
    [
      { productId: A, quantity: 1 },
      { productId: B, quantity: 3 },
      { productId: C, quantity: 1 },
    ],
    new Map([
      [A, 1],
      [B, 2],
    ]),
  );
  assert.deepEqual(plan, {
    ok: false,
    shortages: [
      { productId: B, requested: 3, available: 2 },
      { productId: C, requested: 1, available: 0 },
    ],
  });
});

test('planReservation checks the merged quantity of repeated lines', () => {
  const plan = planReservation(
    [
      { productId: A, quantity: 3 },
      { productId: A, quantity: 3 },
    ],
    new Map([[A, 5]]),
  );
  assert.deepEqual(plan, { ok: false, shortages: [{ productId: A, requested: 6, available: 5 }] });
});

test('releaseTotals aggregates released reservations per product in lock order', () => {
  assert.deepEqual(
    releaseTotals([
      { items: [{ productId: B, quantity: 1 }] },
      {
        items: [
          { productId: A, quantity: 2 },
          { productId: B, quantity: 4 },
        ],
      },
    ]),
    [
      { productId: A, quantity: 2 },
      { productId: B, quantity: 5 },
    ],
  );
});

test('reservationExpiry adds the TTL', () => {
  assert.equal(reservationExpiry(new Date('2026-01-01T00:00:00Z'), 900).toISOString(), '2026-01-01T00:15:00.000Z');
});
