import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { withSpan } from '@meridian/telemetry';
import { createLogger, currentLogContext, withLogContext } from '../src/index.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const logger = createLogger({ service: 'orders', version: '1.2.3', instance: 'i-1', level: 'debug', destination });
  return { logger, lines };
}

test('every line carries service, version, instance, level label and ISO time', () => {
  const { logger, lines } = capture();
  logger.info('hello');
  assert.equal(lines.length, 1);
  const [line] = lines;
  assert.equal(line.service, 'orders');
  assert.equal(line.version, '1.2.3');
  assert.equal(line.instance, 'i-1');
  assert.equal(line.level, 'info');
  assert.equal(line.msg, 'hello');
  assert.match(String(line.time), /^\d{4}-\d\d-\d\dT/);
  assert.equal('reqId' in line, false);
  assert.equal('traceId' in line, false);
});

test('secrets are redacted, other fields kept', () => {
  const { logger, lines } = capture();
  logger.info(
    {
      password: 'p1',
      token: 't1',
      user: { email: 'a@b.c', password: 'p2' },
      req: { headers: { authorization: 'Bearer abc', cookie: 'sid=1', accept: 'json' } },
      body: { credentials: { password: 'p3' } },
    },
    'login',
  );
  const line = lines[0] as any;
  assert.equal(line.password, '[redacted]');
  assert.equal(line.token, '[redacted]');
  assert.equal(line.user.password, '[redacted]');
  assert.equal(line.user.email, 'a@b.c');
  assert.equal(line.req.headers.authorization, '[redacted]');
  assert.equal(line.req.headers.cookie, '[redacted]');
  assert.equal(line.req.headers.accept, 'json');
  assert.equal(line.body.credentials.password, '[redacted]');
  assert.doesNotMatch(JSON.stringify(line), /p1|p2|p3|Bearer abc|sid=1/);
});

test('secrets are redacted in arrays, errors and child bindings without changing the logged objects', () => {
  const { logger, lines } = capture();
  const user = { email: 'a@b.c', password: 'p4' };
  const err = Object.assign(new Error('login failed'), { headers: { authorization: 'Bearer xyz' } });
  logger.child({ token: 't5' }).warn(
    { users: [user], res: { headers: { 'set-cookie': ['sid=2'] } }, err, apiKey: 'k6' },
    'array, error and binding',
  );
  const line = lines[0] as any;
  assert.equal(line.token, '[redacted]');
  assert.equal(line.users[0].password, '[redacted]');
  assert.equal(line.users[0].email, 'a@b.c');
  assert.equal(line.res.headers['set-cookie'], '[redacted]');
  assert.equal(line.err.headers.authorization, '[redacted]');
  assert.equal(line.err.message, 'login failed');
  assert.match(line.err.stack, /^Error: login failed/);
  assert.equal(line.apiKey, '[redacted]');
  assert.doesNotMatch(JSON.stringify(line), /p4|t5|sid=2|Bearer xyz|k6/);
  assert.equal(user.password, 'p4', 'the caller\'s object is unchanged');
  assert.equal(err.headers.authorization, 'Bearer xyz');
});

test('lines inside a log context carry its fields, nested contexts merge', () => {
  const { logger, lines } = capture();
  withLogContext({ reqId: 'r-1' }, () => {
    logger.info('outer');
    withLogContext({ messageId: 'm-1' }, () => {
      assert.deepEqual(currentLogContext(), { reqId: 'r-1', messageId: 'm-1' });
      logger.child({ orderId: 'o-1' }).info('inner');
    });
  });
  logger.info('after');
  assert.equal(lines[0].reqId, 'r-1');
  assert.equal(lines[1].reqId, 'r-1');
  assert.equal(lines[1].messageId, 'm-1');
  assert.equal(lines[1].orderId, 'o-1');
  assert.equal('reqId' in lines[2], false);
});

test('lines inside an active span carry its traceId and spanId, also after an await', async () => {
  const { logger, lines } = capture();
  const ids = await withSpan('work', {}, async (span) => {
    logger.info('before await');
    await new Promise((resolve) => setTimeout(resolve, 5));
    logger.info('after await');
    return span.spanContext();
  });
  assert.match(ids.traceId, /^[0-9a-f]{32}$/);
  assert.notEqual(ids.traceId, '0'.repeat(32));
  for (const line of lines) {
    assert.equal(line.traceId, ids.traceId);
    assert.equal(line.spanId, ids.spanId);
  }
});
