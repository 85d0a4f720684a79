import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCursor, encodeCursor } from '../src/domain/cursor.ts';

test('cursor round-trips and rejects garbage', () => {
  const c = { createdAt: '2026-01-02T03:04:05.678Z', id: '1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed' };
  assert.deepEqual(decodeCursor(encodeCursor(c)), c);
  assert.equal(decodeCursor('%%%'), undefined);
  assert.equal(decodeCursor(Buffer.from('{"a":1}').toString('base64url')), undefined);
});
