import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldErrors, HttpProblem, problem, slugForStatus, toProblem } from '../src/index.ts';

test('problem() builds an RFC 9457 body with type, title from the slug, detail and extensions', () => {
  const error = problem(409, 'out-of-stock', 'Only 2 left', { available: 2 });
  assert.ok(error instanceof HttpProblem);
  assert.ok(error instanceof Error);
  assert.deepEqual(error.toProblem('/api/v1/orders'), {
    type: 'https://meridian.dev/problems/out-of-stock',
    title: 'Out of stock',
    status: 409,
    detail: 'Only 2 left',
    instance: '/api/v1/orders',
    available: 2,
  });
});

test('extensions cannot override the standard members', () => {
  const body = problem(404, 'order-not-found', 'no order', { status: 200, type: 'x' }).toProblem();
  assert.equal(body.status, 404);
  assert.equal(body.type, 'https://meridian.dev/problems/order-not-found');
});

test('slugs for bare statuses', () => {
  assert.equal(slugForStatus(400), 'bad-request');
  assert.equal(slugForStatus(413), 'payload-too-large');
  assert.equal(slugForStatus(415), 'unsupported-media-type');
  assert.equal(slugForStatus(500), 'internal-error');
  assert.equal(slugForStatus(503), 'service-unavailable');
});

test('unexpected errors become a 500 without internals', () => {
  const body = toProblem(new Error('password=hunter2 at db.ts:12'), '/x');
  assert.deepEqual(body, {
    type: 'https://meridian.dev/problems/internal-error',
    title: 'Internal error',
    status: 500,
    detail: 'An unexpected error occurred.',
    instance: '/x',
  });
  assert.equal(toProblem('a string').status, 500);
  assert.equal(toProblem(undefined).status, 500);
});

test('errors carrying a 4xx statusCode keep status and message; 5xx ones hide it', () => {
  const teapot = Object.assign(new Error('short and stout'), { statusCode: 418 });
  assert.equal(toProblem(teapot).detail, 'short and stout');
  assert.equal(toProblem(teapot).type, 'https://meridian.dev/problems/i-m-a-teapot');
  const upstream = Object.assign(new Error('upstream said secret'), { statusCode: 502 });
  assert.equal(toProblem(upstream).detail, 'An unexpected error occurred.');
});

test('fieldErrors names fields by path and collapses union branch noise', () => {
  const errors = fieldErrors([
    { keyword: 'required', instancePath: '', params: { requiredProperties: ['email', 'name'] }, message: 'x' },
    { keyword: 'required', instancePath: '/address', params: { requiredProperties: ['city'] }, message: 'x' },
    { keyword: 'minimum', instancePath: '/items/0/quantity', params: { limit: 1 }, message: 'must be >= 1' },
    { keyword: 'const', instancePath: '/role', params: {}, message: 'must be equal to constant' },
    { keyword: 'const', instancePath: '/role', params: {}, message: 'must be equal to constant' },
    { keyword: 'anyOf', instancePath: '/role', params: {}, message: 'must match a schema in anyOf' },
    { keyword: 'additionalProperties', instancePath: '', params: { additionalProperties: ['admin'] }, message: 'x' },
    { keyword: 'boolean', instancePath: '/admin', params: {}, message: 'schema is false' },
  ]);
  assert.deepEqual(errors, [
    { field: 'email', message: 'is required', keyword: 'required' },
    { field: 'name', message: 'is required', keyword: 'required' },
    { field: 'address.city', message: 'is required', keyword: 'required' },
    { field: 'items.0.quantity', message: 'must be >= 1', keyword: 'minimum', params: { limit: 1 } },
    { field: 'role', message: 'must match a schema in anyOf', keyword: 'anyOf' },
    { field: 'admin', message: 'is not allowed', keyword: 'additionalProperties' },
  ]);
});

test('a wrong whole request part is named by the part', () => {
  assert.deepEqual(fieldErrors([{ keyword: 'type', instancePath: '', params: {}, message: 'must be object' }], 'body'), [
    { field: 'body', message: 'must be object', keyword: 'type' },
  ]);
});

test("text PostgreSQL refuses (a NUL character) is the client's 400, not a 500", () => {
  const refused = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { name: 'PostgresError', code: '22021' });
  const body = toProblem(refused, '/api/v1/products?q=%00');
  assert.equal(body.status, 400);
  assert.equal(body.type, 'https://meridian.dev/problems/bad-request');
  assert.doesNotMatch(String(body.detail), /UTF8|0x00|encoding/);
  // Other database errors stay internal.
  assert.equal(toProblem(Object.assign(new Error('deadlock detected'), { name: 'PostgresError', code: '40P01' })).status, 500);
});
