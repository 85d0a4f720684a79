import { PactV4, MatchersV3, Verifier } from '@pact-foundation/pact';
import { createServer } from 'node:http';
const dir = '/tmp/pact-try';
const pact = new PactV4({ consumer: 'a', provider: 'b', dir, logLevel: 'warn' });
await pact.addInteraction().given('a thing exists', { id: 'x1' }).uponReceiving('get thing').withRequest('GET', '/things/x1', (b) => b.headers({ accept: 'application/json' }))
  .willRespondWith(200, (b) => b.jsonBody({ id: MatchersV3.string('x1'), n: MatchersV3.integer(3) }))
  .executeTest(async (server) => { const r = await fetch(server.url + '/things/x1', { headers: { accept: 'application/json' } }); console.log(r.status, await r.json()); });
const mp = new PactV4({ consumer: 'a', provider: 'c', dir, logLevel: 'warn' });
await mp.addAsynchronousInteraction().given('s1').expectsToReceive('an Ev event', (b) => b.withJSONContent({ type: 'Ev', data: { v: MatchersV3.integer(1) } }))
  .executeTest(async (m) => { console.log('msg', JSON.stringify(m)); });
const srv = createServer((req, res) => { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify({ id: 'y', nn: 2 })); }).listen(0);
await new Promise((r) => srv.once('listening', r));
const port = (srv.address() as any).port;
try {
  await new Verifier({ provider: 'b', providerBaseUrl: `http://127.0.0.1:${port}`, pactUrls: [`${dir}/a-b.json`], stateHandlers: { 'a thing exists': async (p) => { console.log('state', p); } }, logLevel: 'warn' }).verifyProvider();
} catch (e) { console.log('VERIFY FAILED:', (e as Error).message); }
srv.close();
try {
const out = await new Verifier({ provider: 'c', pactUrls: [`${dir}/a-c.json`], messageProviders: { 'an Ev event': async () => ({ type: 'Ev', data: { v: 'str' } }) }, stateHandlers: { s1: async () => { console.log('state s1'); } }, logLevel: 'warn' }).verifyProvider();
console.log('out', out);
} catch (e) { console.log('MSG VERIFY FAILED:', (e as Error).message); }
