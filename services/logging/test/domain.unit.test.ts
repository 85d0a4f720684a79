import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCursor, encodeCursor } from '../src/domain/cursor.ts';
import { parseLogLine } from '../src/domain/entry.ts';
import { levelLabel, levelsAtOrAbove } from '../src/domain/levels.ts';

const source = { key: 'orders', timestamp: new Date('2026-01-01T00:00:00.000Z') };

test('a pino line is split into indexed columns and the remaining data', () => {
  const line = JSON.stringify({
    level: 'warn',
    time: '2026-11-25T09:00:00.123Z',
    service: 'payments',
    version: '1.0.0',
    instance: 'i-1',
    reqId: 'r-1',
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    orderId: 'o-1',
    msg: 'payment declined',
  });
  assert.deepEqual(parseLogLine(line, source), {
    time: new Date('2026-11-25T09:00:00.123Z'),
    service: 'payments',
    level: 'warn',
    instance: 'i-1',
    msg: 'payment declined',
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    reqId: 'r-1',
    data: { version: '1.0.0', orderId: 'o-1' },
  });
});

test('missing fields fall back to the Kafka key and timestamp; numeric levels become labels', () => {
  const entry = parseLogLine(JSON.stringify({ level: 50, time: 'not a time' }), source)!;
  assert.equal(entry.service, 'orders');
  assert.equal(entry.level, 'error');
  assert.deepEqual(entry.time, source.timestamp);
  assert.equal(entry.msg, '');
  assert.equal(entry.traceId, null);
});

test('lines that are not JSON objects are rejected', () => {
  assert.equal(parseLogLine('plain text', source), undefined);
  assert.equal(parseLogLine('[1,2]', source), undefined);
  assert.equal(parseLogLine('null', source), undefined);
});

test('NUL characters, which PostgreSQL cannot store, are removed', () => {
  const entry = parseLogLine(JSON.stringify({ msg: 'a\u0000b', nested: { 'k\u0000': ['x\u0000'] } }), source)!;
  assert.equal(entry.msg, 'ab');
  assert.deepEqual(entry.data, { nested: { k: ['x'] } });
});

test('a level filter means that level or above', () => {
  assert.deepEqual(levelsAtOrAbove('warn'), ['warn', 'error', 'fatal']);
  assert.deepEqual(levelsAtOrAbove('trace').length, 6);
  assert.equal(levelLabel('INFO'), 'info');
  assert.equal(levelLabel(undefined), 'info');
});

test('cursors round-trip and foreign ones are refused', () => {
  const cursor = { time: '2026-11-25T09:00:00.123Z', id: '42' };
  assert.deepEqual(decodeCursor(encodeCursor(cursor)), cursor);
  assert.equal(decodeCursor('garbage'), undefined);
  assert.equal(decodeCursor(Buffer.from(JSON.stringify(['2026-11-25T09:00:00Z', 'x; drop'])).toString('base64url')), undefined);
});
