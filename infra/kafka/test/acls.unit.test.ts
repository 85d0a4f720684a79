import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kafkaAcls, type AclRule } from '../acls.ts';

const context = { ns: 'dev', logsTopic: 'platform.logs', businessTopics: ['orders.events', 'payments.events'] };
const grants = (rules: AclRule[], resource: string, operation: string) =>
  rules.filter((r) => r.name === resource && r.operations.includes(operation as never)).map((r) => r.pattern);

test('a service writes what it owns and the logs topic, reads what it consumes, dead-letters into what it consumes', () => {
  const rules = kafkaAcls({ name: 'orders', produces: ['orders.events'], consumes: ['payments.events'], shipsLogs: true }, context);
  assert.deepEqual(grants(rules, 'dev.orders.events', 'Write'), ['literal']);
  assert.deepEqual(grants(rules, 'dev.platform.logs', 'Write'), ['literal']);
  assert.deepEqual(grants(rules, 'dev.payments.events', 'Write'), [], 'not a topic it owns');
  assert.deepEqual(grants(rules, 'dev.payments.events', 'Read'), ['literal']);
  assert.deepEqual(grants(rules, 'dev.payments.events.dlq', 'Write'), ['literal']);
  assert.deepEqual(grants(rules, 'dev.orders.events', 'Read'), [], 'it does not consume its own topic');
  assert.deepEqual(grants(rules, 'dev.payments.events', 'Create'), [], 'topics it does not own are created for it');
  assert.deepEqual(grants(rules, 'dev.orders.', 'Read'), ['prefix'], 'its consumer groups dev.orders.*');
  assert.ok(rules.every((r) => r.name.startsWith('dev.')), 'nothing outside its namespace');
});

test('the log indexer reads the logs topic and writes none; the ops console reads all and replays into business topics', () => {
  const logging = kafkaAcls({ name: 'logging', produces: [], consumes: ['platform.logs'], shipsLogs: false }, context);
  assert.deepEqual(grants(logging, 'dev.platform.logs', 'Write'), []);
  assert.deepEqual(grants(logging, 'dev.platform.logs', 'Read'), ['literal']);
  const ops = kafkaAcls({ name: 'ops-console', produces: [], consumes: [], shipsLogs: true, inspects: true }, context);
  assert.deepEqual(grants(ops, 'dev.', 'Read'), ['prefix']);
  assert.deepEqual(grants(ops, 'dev.', 'Write'), [], 'no write on the whole namespace');
  assert.deepEqual(grants(ops, 'dev.orders.events', 'Write'), ['literal']);
  assert.deepEqual(ops.filter((r) => r.resource === 'group').map((r) => [r.name, r.operations]), [['dev.', ['Describe']], ['dev.ops-console.', ['Read', 'Describe']]]);
});
