import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sentenceFor } from '../../shared/web/fieldErrors.ts';
import { checkQuantity, quantityProblem } from '../web/src/quantity.ts';

const say = (text: string, limits?: Parameters<typeof quantityProblem>[1]) => {
  const problem = quantityProblem(text, limits);
  return problem && sentenceFor(problem);
};

test('a typed quantity is a whole number of at least 1 (0 in the cart, where it removes the line)', () => {
  assert.equal(say('0'), 'Quantity must be at least 1.');
  assert.equal(say('-3'), 'Quantity must be at least 1.');
  assert.equal(say('-3', { min: 0 }), 'Quantity must be at least 0.');
  assert.equal(say('0', { min: 0 }), undefined);
  assert.equal(say('2.5'), 'Quantity must be a whole number.');
  assert.equal(say(''), 'Quantity must be a whole number.');
  assert.equal(say('abc'), 'Quantity must be a whole number.');
  assert.equal(say(' 3 '), undefined);
  assert.equal(checkQuantity('3'), 3);
  assert.throws(() => checkQuantity('0'), (err: { fieldErrors: unknown[] }) => err.fieldErrors.length === 1);
});

test('the cart limit and the units left are named, with what the cart already holds, never a product id', () => {
  assert.equal(say('1001'), 'Quantity can be at most 1,000.');
  assert.equal(say('1000'), undefined);
  assert.equal(say('401', { inCart: 600 }), 'Quantity is too many: at most 1,000 of one product fit in a cart, and 600 are already in it.');
  assert.equal(say('4', { left: 3 }), 'Quantity is more than what is left: only 3 left.');
  assert.equal(say('2', { left: 3, inCart: 2 }), 'Quantity is more than what is left: only 3 left, 2 of them already in your cart.');
  assert.equal(say('1', { left: 3, inCart: 3 }), 'Quantity cannot grow: all 3 left are already in your cart.');
  assert.equal(say('3', { left: 3 }), undefined);
});
