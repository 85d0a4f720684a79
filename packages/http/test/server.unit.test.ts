import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { Type } from 'typebox';
import { createLogger } from '@meridian/log';
import { createHttpServer, overloaded, problem } from '../src/index.ts';
import type { AccessLog, App } from '../src/index.ts';

type Line = Record<string, any>;

async function start(
  readiness: Record<string, () => unknown> = {},
  bodyLimit?: number,
  { level = 'debug', accessLog, slowRequestMs }: { level?: 'debug' | 'info'; accessLog?: AccessLog; slowRequestMs?: number } = {},
) {
  const lines: Line[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const logger = createLogger({ service: 'http-test', version: '1.0.0', instance: 'i-1', level, destination });
  const app = await createHttpServer({ name: 'http-test', version: '1.0.0', logger, readiness, bodyLimit, accessLog, slowRequestMs });
  routes(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return { app, url, lines };
}

let release: () => void = () => {};

function routes(app: App) {
  app.post(
    '/items',
    {
      schema: {
        body: Type.Object({
          name: Type.String({ minLength: 1 }),
          email: Type.String({ format: 'email' }),
          lines: Type.Array(Type.Object({ quantity: Type.Integer({ minimum: 1 }) })),
        }),
      },
    },
    async (request) => {
      request.log.info({ password: 'hunter2' }, 'creating item');
      return { name: request.body.name };
    },
  );
  app.get('/items', { schema: { querystring: Type.Object({ limit: Type.Integer({ maximum: 100, default: 10 }) }) } }, async (request) => ({
    limit: request.query.limit,
  }));
  app.get('/conflict', async () => {
    throw problem(409, 'out-of-stock', 'Only 2 left', { available: 2 });
  });
  app.get('/busy', async () => {
    throw overloaded('too many in progress', 2);
  });
  app.get('/boom', async () => {
    throw new Error('secret internals');
  });
  app.get('/slow', async () => {
    await new Promise<void>((resolve) => (release = resolve));
    return { done: true };
  });
}

async function json(response: Response) {
  return { status: response.status, type: response.headers.get('content-type'), body: await response.json() };
}

const post = (body: string, contentType = 'application/json') => ({
  method: 'POST',
  headers: { 'content-type': contentType },
  body,
});

test('validation errors are problem+json 400 naming every field', async (t) => {
  const { app, url } = await start();
  t.after(() => app.close());
  const res = await json(await fetch(`${url}/items`, post(JSON.stringify({ email: 'nope', lines: [{ quantity: 0 }] }))));
  assert.equal(res.status, 400);
  assert.match(res.type ?? '', /^application\/problem\+json/);
  assert.equal(res.body.type, 'https://meridian.dev/problems/validation-failed');
  assert.equal(res.body.title, 'Validation failed');
  assert.equal(res.body.status, 400);
  assert.equal(res.body.instance, '/items');
  assert.equal(typeof res.body.detail, 'string');
  assert.deepEqual(
    res.body.errors.map((e: { field: string }) => e.field),
    ['name', 'email', 'lines.0.quantity'],
  );

  const query = await json(await fetch(`${url}/items?limit=500`));
  assert.equal(query.status, 400);
  assert.deepEqual(query.body.errors, [{ field: 'limit', message: 'must be <= 100', keyword: 'maximum', params: { comparison: '<=', limit: 100 } }]);
  assert.deepEqual((await json(await fetch(`${url}/items?limit=5`))).body, { limit: 5 });
});

test('unknown routes, bad media types, oversize and malformed bodies are problem+json', async (t) => {
  const { app, url } = await start({}, 100);
  t.after(() => app.close());
  const cases: [Promise<Response>, number, string][] = [
    [fetch(`${url}/nowhere?x=1`), 404, 'not-found'],
    [fetch(`${url}/items`, post('<item/>', 'application/xml')), 415, 'unsupported-media-type'],
    [fetch(`${url}/items`, post(JSON.stringify({ name: 'x'.repeat(200) }))), 413, 'payload-too-large'],
    [fetch(`${url}/items`, post('{not json')), 400, 'bad-request'],
    [fetch(`${url}/conflict`), 409, 'out-of-stock'],
  ];
  for (const [request, status, slug] of cases) {
    const res = await json(await request);
    assert.equal(res.status, status, slug);
    assert.match(res.type ?? '', /^application\/problem\+json/);
    assert.equal(res.body.type, `https://meridian.dev/problems/${slug}`);
    assert.equal(res.body.status, status);
    assert.equal(typeof res.body.title, 'string');
    assert.equal(typeof res.body.detail, 'string');
  }
  const xml = await json(await fetch(`${url}/items`, post('<item/>', 'application/xml')));
  assert.equal(xml.body.detail, 'Unsupported content type: application/xml');
  const conflict = await json(await fetch(`${url}/conflict`));
  assert.equal(conflict.body.available, 2);
  assert.equal(conflict.body.detail, 'Only 2 left');
});

test('unexpected errors: 500 without stack in the body, logged with stack and request context', async (t) => {
  const { app, url, lines } = await start();
  t.after(() => app.close());
  const response = await fetch(`${url}/boom`, { headers: { 'x-request-id': 'req-boom-1' } });
  const text = await response.text();
  assert.equal(response.status, 500);
  assert.doesNotMatch(text, /secret internals|at |\.ts:/);
  assert.equal(JSON.parse(text).type, 'https://meridian.dev/problems/internal-error');
  const logged = lines.find((l) => l.level === 'error' && l.err);
  assert.ok(logged, 'error was logged');
  assert.match(logged.err.stack, /secret internals[\s\S]*server\.unit\.test\.ts/);
  assert.equal(logged.reqId, 'req-boom-1');
  assert.match(logged.traceId, /^[0-9a-f]{32}$/);
});

test('request ids: echoed when valid, generated otherwise; log lines carry reqId and the incoming trace', async (t) => {
  const { app, url, lines } = await start();
  t.after(() => app.close());
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const given = await fetch(`${url}/items`, {
    ...post(JSON.stringify({ name: 'a', email: 'a@example.com', lines: [] })),
    headers: { 'content-type': 'application/json', 'x-request-id': 'abc-123', traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
  });
  assert.equal(given.status, 200);
  assert.equal(given.headers.get('x-request-id'), 'abc-123');
  assert.deepEqual(await given.json(), { name: 'a' });

  const generated = await fetch(`${url}/healthz`, { headers: { 'x-request-id': 'bad id with spaces' } });
  assert.match(generated.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);

  const handlerLine = lines.find((l) => l.msg === 'creating item');
  assert.ok(handlerLine);
  assert.equal(handlerLine.reqId, 'abc-123');
  assert.equal(handlerLine.traceId, traceId);
  assert.match(handlerLine.spanId, /^[0-9a-f]{16}$/);
  assert.notEqual(handlerLine.spanId, '00f067aa0ba902b7', 'the server span is a child of the caller span');
  assert.equal(handlerLine.password, '[redacted]');
  const completed = lines.find((l) => l.msg === 'request completed' && l.reqId === 'abc-123');
  assert.ok(completed);
  assert.equal(completed.traceId, traceId);
  assert.equal(completed.route, '/items');
  assert.equal(completed.statusCode, 200);
});

test('scrapes and health probes are answered and counted, but not traced', async (t) => {
  const { app, url } = await start();
  t.after(() => app.close());
  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const traced = await fetch(`${url}/items?limit=1`, { headers: { traceparent } });
  assert.equal(traced.headers.get('x-trace-id'), '4bf92f3577b34da6a3ce929d0e0e4736');
  for (const path of ['/metrics', '/livez', '/readyz', '/healthz', '/healthz?verbose=1']) {
    const probe = await fetch(`${url}${path}`, { headers: { traceparent } });
    assert.equal(probe.status, 200, path);
    assert.equal(probe.headers.get('x-trace-id'), null, `${path} is not traced`);
    assert.match(probe.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/, `${path} still has a request id`);
  }
  const text = await (await fetch(`${url}/metrics`)).text();
  assert.match(text, /http_requests_total\{method="GET",route="\/livez",status_code="200"\} 1/);
});

test('access log: at info every request under "all"; only non-2xx and slow ones under "errors"', async (t) => {
  const completed = (lines: Line[]) => lines.filter((l) => l.msg === 'request completed').map((l) => `${l.level} ${l.route} ${l.statusCode}`);
  const errorsOnly = await start({}, undefined, { level: 'info', accessLog: 'errors' });
  t.after(() => errorsOnly.app.close());
  await (await fetch(`${errorsOnly.url}/items?limit=5`)).text();
  await (await fetch(`${errorsOnly.url}/conflict`)).text();
  assert.deepEqual(completed(errorsOnly.lines), ['info /conflict 409']);

  const slowIsZero = await start({}, undefined, { level: 'info', accessLog: 'errors', slowRequestMs: 0 });
  t.after(() => slowIsZero.app.close());
  await (await fetch(`${slowIsZero.url}/items?limit=5`)).text();
  assert.deepEqual(completed(slowIsZero.lines), ['info /items 200']);

  const all = await start({}, undefined, { level: 'info', accessLog: 'all' });
  t.after(() => all.app.close());
  await (await fetch(`${all.url}/items?limit=5`)).text();
  assert.deepEqual(completed(all.lines), ['info /items 200']);
});

test('overload refusals: 503 with Retry-After; the first is logged with its request, the rest of the flood only counted', async (t) => {
  const { app, url, lines } = await start({}, undefined, { level: 'info', accessLog: 'errors' });
  t.after(() => app.close());
  for (let i = 0; i < 5; i++) {
    const response = await fetch(`${url}/busy`, { headers: { 'x-request-id': `busy-${i}` } });
    assert.equal(response.status, 503);
    assert.equal(response.headers.get('retry-after'), '2');
    assert.equal((await response.json()).type.endsWith('/overloaded'), true);
  }
  const refusals = lines.filter((l) => l.msg === 'request refused: overloaded');
  assert.equal(refusals.length, 1, 'one line for the start of the flood');
  assert.equal(refusals[0].level, 'warn');
  assert.equal(refusals[0].reqId, 'busy-0');
  assert.equal(refusals[0].detail, 'too many in progress');
  assert.deepEqual(lines.filter((l) => l.msg === 'request completed'), [], 'no access line per refusal');
});

test('/healthz, /readyz with checks, /metrics, /openapi.json and /docs', async (t) => {
  let dbUp = true;
  const { app, url } = await start({ db: () => { if (!dbUp) throw new Error('connection refused'); } });
  t.after(() => app.close());

  assert.deepEqual((await json(await fetch(`${url}/healthz`))).body, { status: 'ok', service: 'http-test', version: '1.0.0' });
  assert.deepEqual((await json(await fetch(`${url}/readyz`))).body, { status: 'ready', checks: { db: { status: 'ok' } } });

  dbUp = false;
  app.readiness.add('relay', async () => false);
  const notReady = await json(await fetch(`${url}/readyz`));
  assert.equal(notReady.status, 503);
  assert.deepEqual(notReady.body, {
    status: 'not_ready',
    checks: { db: { status: 'fail', error: 'connection refused' }, relay: { status: 'fail', error: 'check returned false' } },
  });

  await fetch(`${url}/items?limit=3`);
  const metrics = await fetch(`${url}/metrics`);
  assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
  const text = await metrics.text();
  assert.match(text, /http_request_duration_seconds_bucket\{le="[\d.]+",method="GET",route="\/items",status_code="200"\}/);
  assert.match(text, /http_requests_total\{method="GET",route="\/readyz",status_code="503"\} 1/);
  assert.match(text, /process_cpu_user_seconds_total/);
  assert.match(text, /nodejs_eventloop_lag_p99_seconds/);
  const utilization = Number(/^nodejs_eventloop_utilization_ratio ([\d.e-]+)$/m.exec(text)?.[1]);
  assert.ok(utilization >= 0 && utilization <= 1, `event loop utilization ${utilization} is a ratio`);

  const openapi = await json(await fetch(`${url}/openapi.json`));
  assert.equal(openapi.body.openapi, '3.1.0');
  assert.equal(openapi.body.info.title, 'http-test');
  assert.ok(openapi.body.paths['/items'].post.requestBody);
  assert.equal(openapi.body.paths['/healthz'], undefined, 'infrastructure routes are hidden');
  const docs = await fetch(`${url}/docs`);
  assert.equal(docs.status, 200);
  assert.match(await docs.text(), /swagger/i);
});

test('close(): readiness flips to draining and in-flight requests complete', async () => {
  const { app, url } = await start();
  const slow = fetch(`${url}/slow`);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const closed = app.close();
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(app.readiness.draining, true);
  assert.deepEqual(await app.readiness.run(), { status: 'draining', checks: {} });
  release();
  const response = await slow;
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { done: true });
  await closed;
  await assert.rejects(fetch(`${url}/healthz`));
});
