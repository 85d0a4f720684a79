import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requestThreads } from '../infra/kafka.ts';

test("the broker's request threads follow the machine's cores, up to Kafka's own defaults", () => {
  assert.deepEqual(requestThreads(1), { network: 1, io: 2 });
  assert.deepEqual(requestThreads(2), { network: 1, io: 2 });
  assert.deepEqual(requestThreads(4), { network: 2, io: 4 });
  assert.deepEqual(requestThreads(16), { network: 3, io: 8 });
  assert.deepEqual(requestThreads(64), { network: 3, io: 8 });
});
