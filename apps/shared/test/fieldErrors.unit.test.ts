import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanizeField, labelOf, sentenceFor, sentencesFor, type FieldProblem } from '../web/fieldErrors.ts';

test('field names read as words, list indexes dropped', () => {
  assert.equal(humanizeField('priceCents'), 'Price cents');
  assert.equal(humanizeField('items.0.quantity'), 'Quantity');
  assert.equal(humanizeField('price.currency'), 'Currency');
});

test('a form label wins over the field name, exact path first, then the path with * for indexes', () => {
  const labels = { 'price.amount': 'Price', 'items.*.quantity': 'Quantity of an item' };
  assert.equal(labelOf('price.amount', labels), 'Price');
  assert.equal(labelOf('items.3.quantity', labels), 'Quantity of an item');
  assert.equal(labelOf('name', labels), 'Name');
});

test('each keyword the services send has one sentence, with its limit written out', () => {
  const cases: [FieldProblem, string][] = [
    [{ field: 'name', message: 'must NOT have more than 200 characters', keyword: 'maxLength', params: { limit: 200 } }, 'Name can be at most 200 characters long.'],
    [{ field: 'name', message: 'x', keyword: 'minLength', params: { limit: 1 } }, 'Name cannot be empty.'],
    [{ field: 'password', message: 'x', keyword: 'minLength', params: { limit: 8 } }, 'Password needs at least 8 characters.'],
    [{ field: 'price.currency', message: 'must match format "currency"', keyword: 'format', params: { format: 'currency' } }, 'Currency is not an ISO 4217 currency code (for example EUR, USD or GBP).'],
    [{ field: 'email', message: 'x', keyword: 'format', params: { format: 'email' } }, 'Email is not a valid email address.'],
    [{ field: 'price.amount', message: 'must be >= 0', keyword: 'minimum', params: { limit: 0 } }, 'Amount must be at least 0.'],
    [{ field: 'priceCents', message: 'x', keyword: 'maximum', params: { limit: 100_000_000 } }, 'Price cents can be at most 100,000,000.'],
    [{ field: 'items.0.quantity', message: 'must be integer', keyword: 'type', params: { type: 'integer' } }, 'Quantity must be a whole number.'],
    [{ field: 'category', message: 'x', keyword: 'pattern', params: { pattern: '\\S' } }, 'Category cannot be blank.'],
    [{ field: 'sku', message: 'x', keyword: 'pattern', params: { pattern: '^[A-Z]$' } }, 'Sku contains characters that are not allowed.'],
    [{ field: 'items', message: 'x', keyword: 'minItems', params: { limit: 1 } }, 'Items needs at least one entry.'],
    [{ field: 'admin', message: 'is not allowed', keyword: 'additionalProperties' }, 'Admin is not accepted here.'],
    [{ field: 'name', message: 'is required', keyword: 'required' }, 'Name is required.'],
    [{ field: 'role', message: 'must match a schema in anyOf', keyword: 'anyOf' }, 'Role is not one of the accepted values.'],
  ];
  for (const [problem, sentence] of cases) assert.equal(sentenceFor(problem), sentence, problem.keyword);
});

test("the validator's own English never reaches a person; a service's hand-written message does", () => {
  const validator = sentenceFor({ field: 'x', message: 'must match "then" schema', keyword: 'if' });
  assert.equal(validator, 'X is not valid.');
  assert.equal(sentenceFor({ field: 'ids', message: 'must list at most 100 ids' }), 'Ids must list at most 100 ids.');
});

test('sentencesFor picks the problems of one field and those below it', () => {
  const problems: FieldProblem[] = [
    { field: 'price.amount', message: 'x', keyword: 'minimum', params: { limit: 0 } },
    { field: 'price.currency', message: 'x', keyword: 'format', params: { format: 'currency' } },
    { field: 'priceless', message: 'x', keyword: 'required' },
    { field: 'name', message: 'x', keyword: 'maxLength', params: { limit: 200 } },
  ];
  assert.deepEqual(sentencesFor(problems, 'price', { 'price.amount': 'Price' }), [
    'Price must be at least 0.',
    'Currency is not an ISO 4217 currency code (for example EUR, USD or GBP).',
  ]);
  assert.deepEqual(sentencesFor(problems, 'sku'), []);
});
