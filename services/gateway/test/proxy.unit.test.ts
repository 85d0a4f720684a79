import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deliveryOf, replayableBodyBytes } from '../src/proxy.ts';

test('reads and bodiless idempotent requests are replayed over kept-alive connections', () => {
  for (const method of ['GET', 'HEAD', 'OPTIONS', 'DELETE']) assert.equal(deliveryOf(method, {}), 'replay', method);
  assert.equal(deliveryOf('GET', { 'content-length': '0' }), 'replay');
});

test('a command is replayed only with an Idempotency-Key, its small body read first', () => {
  assert.equal(deliveryOf('POST', { 'content-length': '120' }), 'once');
  assert.equal(deliveryOf('POST', { 'content-length': '120', 'idempotency-key': 'k' }), 'replay-body');
  assert.equal(deliveryOf('POST', { 'idempotency-key': 'k' }), 'replay', 'no body');
  assert.equal(deliveryOf('PATCH', { 'content-length': '2' }), 'once');
  assert.equal(deliveryOf('PUT', { 'content-length': '2' }), 'replay-body', 'PUT is idempotent');
});

test('a large or chunked body streams once on a connection of its own, whatever the method', () => {
  assert.equal(deliveryOf('PUT', { 'content-length': String(replayableBodyBytes) }), 'replay-body');
  assert.equal(deliveryOf('PUT', { 'content-length': String(replayableBodyBytes + 1) }), 'once');
  assert.equal(deliveryOf('POST', { 'content-length': String(replayableBodyBytes + 1), 'idempotency-key': 'k' }), 'once');
  assert.equal(deliveryOf('PUT', { 'transfer-encoding': 'chunked' }), 'once');
  assert.equal(deliveryOf('POST', { 'transfer-encoding': 'chunked', 'idempotency-key': 'k' }), 'once');
});
