import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  assertValidData,
  createEnvelope,
  dataErrors,
  defineTopic,
  dlqTopic,
  InvalidEventError,
  isTransientError,
  messagingMigrationSql,
  parseEnvelope,
  physicalTopic,
} from '../src/index.ts';
import { clientErrorAction, protocolErrorIds } from '../src/consumer.ts';
import { backoffDelay, sleep } from '../src/support.ts';
import { testRegistry } from './helpers.ts';

describe('envelope', () => {
  test('createEnvelope fills id, time and the given fields; parseEnvelope reads it back', () => {
    const envelope = createEnvelope({ type: 'ItemAdded', version: 1, source: 'cart', key: 'k1', data: { sku: 'a', quantity: 2, n: 0 } });
    assert.match(envelope.id, /^[0-9a-f-]{36}$/);
    assert.ok(!Number.isNaN(Date.parse(envelope.time)));
    assert.equal('traceparent' in envelope, false);
    assert.deepEqual(parseEnvelope(Buffer.from(JSON.stringify(envelope))), envelope);
    const traced = createEnvelope({ type: 'X', version: 2, source: 's', key: 'k', data: null, traceparent: '00-abc-def-01' });
    assert.equal(traced.traceparent, '00-abc-def-01');
  });

  test('event ids are time-ordered UUIDs (version 7): each one sorts after the ids made before it', () => {
    const before = Date.now();
    const ids = Array.from({ length: 1000 }, () => createEnvelope({ type: 'X', version: 1, source: 's', key: 'k', data: null }).id);
    for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.deepEqual([...ids].sort(), ids, 'in creation order, also within one millisecond');
    assert.equal(new Set(ids).size, ids.length);
    // The first 48 bits are the creation time in milliseconds (what keeps the indexes' inserts at their right edge).
    const millis = Number.parseInt(ids[0]!.replace(/-/g, '').slice(0, 12), 16);
    assert.ok(millis >= before && millis <= Date.now(), `${millis} is not a time between ${before} and now`);
  });

  test('parseEnvelope rejects invalid JSON and names every bad envelope field', () => {
    assert.throws(() => parseEnvelope(Buffer.from('{nope')), (err: InvalidEventError) => {
      assert.ok(err instanceof InvalidEventError);
      assert.match(err.reason, /^value is not JSON/);
      return true;
    });
    assert.throws(() => parseEnvelope(null), /empty message value/);
    assert.throws(() => parseEnvelope('[1]'), /envelope: expected object/);
    assert.throws(
      () => parseEnvelope(JSON.stringify({ id: 'x', type: '', version: 0, source: 's', time: 'never', key: 1 })),
      (err: InvalidEventError) => {
        assert.equal(
          err.reason,
          'envelope id: expected uuid; type: expected non-empty string; version: expected integer >= 1; ' +
            'time: expected ISO date-time; key: expected string; data: required',
        );
        return true;
      },
    );
  });

  test('dataErrors gives readable reasons and is empty for valid data', () => {
    assert.deepEqual(dataErrors(testRegistry, 'ItemAdded', 1, { sku: 'a', quantity: 1, n: 3 }), []);
    assert.deepEqual(dataErrors(testRegistry, 'ItemAdded', 1, { sku: 'a', quantity: 1.5, n: 3 }), ['data/quantity: must be integer']);
    assert.deepEqual(dataErrors(testRegistry, 'ItemAdded', 2, {}), ['no schema for ItemAdded v2']);
    assert.deepEqual(dataErrors(testRegistry, 'Nope', 1, {}), ['no schema for Nope v1']);
    assert.throws(
      () => assertValidData(testRegistry, 'ItemAdded', 1, { sku: 'a', n: 1 }),
      (err: InvalidEventError) => err instanceof InvalidEventError && /^ItemAdded v1 data: must have required properties quantity/.test(err.reason),
    );
  });
});

describe('topics', () => {
  test('defineTopic applies defaults and rejects bad definitions', () => {
    assert.deepEqual(defineTopic({ name: 'orders.events' }), {
      name: 'orders.events',
      partitions: 3,
      retentionMs: 7 * 24 * 60 * 60 * 1000,
      cleanupPolicy: 'delete',
    });
    assert.equal(defineTopic({ name: 'a', partitions: 6, retentionMs: -1, cleanupPolicy: 'compact' }).partitions, 6);
    assert.throws(() => defineTopic({ name: 'a', partitions: 2 }), /partitions must be an integer >= 3/);
    assert.throws(() => defineTopic({ name: 'a b' }), /must match/);
    assert.throws(() => defineTopic({ name: 'a', retentionMs: 0 }), /retentionMs/);
    assert.throws(() => defineTopic({ name: 'a', cleanupPolicy: 'keep' as never }), /cleanupPolicy/);
  });

  test('physical and dead-letter names follow the namespace rules', () => {
    assert.equal(physicalTopic('dev', 'orders.events'), 'dev.orders.events');
    assert.equal(dlqTopic('dev.orders.events'), 'dev.orders.events.dlq');
  });
});

describe('support', () => {
  test('backoffDelay doubles per attempt, jitters within [d/2, d] and is capped', () => {
    for (let i = 0; i < 100; i++) {
      const d3 = backoffDelay(100, 3);
      assert.ok(d3 >= 200 && d3 <= 400, `attempt 3 gave ${d3}`);
      const capped = backoffDelay(100, 30, 1000);
      assert.ok(capped >= 500 && capped <= 1000);
    }
  });

  test('sleep ends early and reports false when aborted', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const pending = sleep(10_000, controller.signal);
    controller.abort();
    assert.equal(await pending, false);
    assert.ok(Date.now() - started < 1000);
    assert.equal(await sleep(1), true);
  });
});

test('messagingMigrationSql creates the outbox, its notify trigger and the inbox', () => {
  assert.match(messagingMigrationSql, /create table outbox/);
  assert.match(messagingMigrationSql, /where published_at is null/);
  assert.match(messagingMigrationSql, /pg_notify\('outbox'/);
  assert.match(messagingMigrationSql, /create table processed_messages/);
});

test('isTransientError: a lost connection, a server shutdown or a lost lock race, never an ordinary failure', () => {
  for (const code of ['CONNECTION_CLOSED', 'CONNECTION_DESTROYED', 'ECONNREFUSED', '57P01', '08006', '53300', '40001', '40P01', '55P03']) {
    assert.equal(isTransientError(Object.assign(new Error(code), { code })), true, code);
  }
  for (const err of [new Error('boom'), Object.assign(new Error('duplicate'), { code: '23505' }), Object.assign(new Error('bad'), { code: '22P02' }), null, 'text', { code: 57 }]) {
    assert.equal(isTransientError(err), false, String((err as { code?: unknown })?.code ?? err));
  }
});

test('a client error is judged by the Kafka errors grouped inside it: fenced out stops consuming, anything else rejoins', () => {
  // The shape @platformatic/kafka gives up a rejoin with: MultipleErrors of ResponseErrors of ProtocolErrors.
  const protocolError = (apiId: string) => Object.assign(new Error(apiId), { apiId });
  const responseError = (...ids: string[]) => new AggregateError(ids.map(protocolError), 'Received response with error while executing API JoinGroup(v9)');
  const gaveUp = (...attempts: AggregateError[]) => new AggregateError(attempts, `joinGroup failed ${attempts.length} times.`);

  const fenced = gaveUp(responseError('NOT_COORDINATOR'), responseError('FENCED_INSTANCE_ID'), responseError('FENCED_INSTANCE_ID'));
  assert.deepEqual(protocolErrorIds(fenced), ['NOT_COORDINATOR', 'FENCED_INSTANCE_ID', 'FENCED_INSTANCE_ID']);
  assert.equal(clientErrorAction(fenced), 'stop');
  assert.equal(clientErrorAction(gaveUp(responseError('NOT_COORDINATOR'), responseError('COORDINATOR_NOT_AVAILABLE'))), 'rejoin');
  assert.equal(clientErrorAction(new Error('Connection closed')), 'rejoin');
  assert.deepEqual(protocolErrorIds(undefined), []);
});

test('a handled event is logged at debug unless ACCESS_LOG=all asks for a line per event', async () => {
  const { createInbox, handledEventLevel } = await import('../src/inbox.ts');
  assert.equal(handledEventLevel({}), 'debug');
  assert.equal(handledEventLevel({ ACCESS_LOG: 'errors' }), 'debug');
  assert.equal(handledEventLevel({ ACCESS_LOG: 'all' }), 'info');
  const event = { id: '00000000-0000-4000-8000-000000000001', type: 'OrderPlaced' } as Parameters<ReturnType<typeof createInbox>['logHandled']>[0];
  const message = { topic: 'dev.orders.events', partition: 2 } as Parameters<ReturnType<typeof createInbox>['logHandled']>[1];
  for (const handledLevel of ['debug', 'info'] as const) {
    const lines: string[] = [];
    const logger = Object.fromEntries(['debug', 'info', 'warn', 'error'].map((level) => [level, (fields: object, msg?: string) => lines.push(`${level} ${msg} ${JSON.stringify(fields)}`)]));
    const inbox = createInbox({ sql: {} as never, groupId: 'orders.saga', logger: logger as never, handledLevel });
    inbox.logHandled(event, message);
    assert.deepEqual(lines, [`${handledLevel} event handled {"groupId":"orders.saga","type":"OrderPlaced","eventId":"${event.id}","topic":"dev.orders.events","partition":2}`]);
  }
});
