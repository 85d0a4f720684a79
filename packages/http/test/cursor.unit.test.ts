import { test } from 'node:test';
import assert from 'node:assert/strict';
import { anyText, isBigintId, isTimestamp, isUuid, keysetCursor } from '../src/index.ts';

const byCreated = keysetCursor({ createdAt: isTimestamp, id: isUuid });
const token = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

test('a cursor round-trips as base64url of its fields in declaration order', () => {
  const cursor = { createdAt: '2026-01-02T03:04:05.678Z', id: '1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed' };
  const encoded = byCreated.encode({ id: cursor.id, createdAt: cursor.createdAt });
  assert.equal(encoded, token([cursor.createdAt, cursor.id]), 'the format earlier pages were issued in');
  assert.deepEqual(byCreated.decode(encoded), cursor);
  // Fields beyond the key (a whole row passed in) are not encoded.
  const byName = keysetCursor({ name: anyText, id: isUuid });
  assert.equal(byName.encode({ name: 'Kettle', id: cursor.id, price: 5 } as never), token(['Kettle', cursor.id]));
});

test('anything the codec did not make decodes to undefined', () => {
  for (const garbage of ['%%%', '', 'not-a-cursor', token({ a: 1 }), token(['x']), token(['x', 'y', 'z']), token([1, 2]),
    token(['not a time', '1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed']), token(['2026-01-02T03:04:05Z', 'not-a-uuid'])]) {
    assert.equal(byCreated.decode(garbage), undefined, garbage);
  }
  const logs = keysetCursor({ time: isTimestamp, id: isBigintId });
  assert.deepEqual(logs.decode(token(['2026-01-02T03:04:05Z', '42'])), { time: '2026-01-02T03:04:05Z', id: '42' });
  assert.equal(logs.decode(token(['2026-01-02T03:04:05Z', '-1'])), undefined);
  assert.equal(logs.decode(token(['2026-01-02T03:04:05Z', '1'.repeat(20)])), undefined);
});
