// The HTTP chassis at its edges, without infrastructure: requests Node's parser rejects before any
// route runs still get problem+json without internals, and every route that takes input documents
// the 400 it can answer (the fuzz tests hold services to their documented statuses).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { Type } from 'typebox';
import { createLogger } from '@meridian/log';
import { createHttpServer, type App } from '@meridian/http';
import { leakIn } from './support.ts';

let app: App;
let port: number;

before(async () => {
  const destination = new Writable({ write: (_chunk, _encoding, done) => done() });
  const logger = createLogger({ service: 'edge-test', version: '1.0.0', instance: 'i-1', level: 'silent', destination });
  app = await createHttpServer({ name: 'edge-test', version: '1.0.0', logger });
  app.get('/things/:id', { schema: { params: Type.Object({ id: Type.String({ format: 'uuid' }) }), response: { 200: Type.Object({}) } } }, () => ({}));
  app.get('/plain', { schema: { response: { 200: Type.Object({}) } } }, () => ({}));
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as { port: number }).port;
});

after(() => app.close());

/** Sends raw bytes and returns everything the server wrote before closing. */
function raw(request: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => { answer += chunk; });
    // The server closes right after answering; unread request bytes can turn that into a reset.
    socket.on('error', (error) => (answer ? resolve(answer) : reject(error)));
    socket.on('close', () => resolve(answer));
    socket.end(request);
  });
}

function parse(answer: string): { status: number; type: string; body: any } {
  const [head, body] = answer.split('\r\n\r\n') as [string, string];
  return {
    status: Number(head.split(' ')[1]),
    type: /content-type: ([^\r\n]+)/i.exec(head)?.[1] ?? '',
    body: JSON.parse(body),
  };
}

test('headers over the limit: 431 problem+json', async () => {
  const answer = parse(await raw(`GET /plain HTTP/1.1\r\nHost: x\r\nX-Padding: ${'x'.repeat(17 * 1024)}\r\n\r\n`));
  assert.equal(answer.status, 431);
  assert.equal(answer.type, 'application/problem+json');
  assert.equal(answer.body.type, 'https://meridian.dev/problems/request-header-fields-too-large');
  assert.equal(answer.body.status, 431);
});

test('bytes that are not HTTP: 400 problem+json without parser internals', async () => {
  for (const garbage of ['GET / HTTP/9.9\r\n\r\n', 'HELLO\r\n\r\n', `GET /plain HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n`, Buffer.from([0, 1, 2, 0xff, 13, 10, 13, 10])]) {
    const text = await raw(garbage);
    const answer = parse(text);
    assert.equal(answer.status, 400, JSON.stringify(String(garbage)));
    assert.equal(answer.type, 'application/problem+json');
    assert.equal(answer.body.type, 'https://meridian.dev/problems/bad-request');
    assert.equal(leakIn(text), undefined);
    assert.doesNotMatch(text, /HPE_|Parse Error/);
  }
});

test('a route that takes input documents 400; one without input does not', async () => {
  const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
  assert.ok(document.paths['/things/{id}'].get.responses['400'], '400 documented for /things/{id}');
  assert.equal(document.paths['/plain'].get.responses['400'], undefined);
  const reply = await app.inject({ method: 'GET', url: '/things/not-a-uuid' });
  assert.equal(reply.statusCode, 400);
  assert.match(String(reply.headers['content-type']), /^application\/problem\+json/);
});
