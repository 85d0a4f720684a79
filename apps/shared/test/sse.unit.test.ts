import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHub, formatEvent } from '../server/sse.ts';
import { parseEventBlock } from '../web/api.ts';

test('an event formatted by the server parses back in the browser client', () => {
  const data = { status: 'CANCELLED', reason: 'line one\nline two' };
  const wire = formatEvent('update', data);
  assert.ok(wire.endsWith('\n\n'));
  assert.deepEqual(parseEventBlock(wire.slice(0, -2)), { event: 'update', data });
});

test('comment blocks (heartbeats) carry no event', () => {
  assert.equal(parseEventBlock(': ping'), undefined);
});

test('the hub delivers to subscribers of the key and of every key, until they unsubscribe', () => {
  const hub = createHub<number>();
  const seen: string[] = [];
  const offA = hub.subscribe('a', (n) => seen.push(`a${n}`));
  hub.subscribe('*', (n) => seen.push(`*${n}`));
  hub.publish('a', 1);
  hub.publish('b', 2);
  offA();
  hub.publish('a', 3);
  assert.deepEqual(seen, ['a1', '*1', '*2', '*3']);
  assert.equal(hub.size, 1);
});
