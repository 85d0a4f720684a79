import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { freePort, goServerEnv } from '../lib/proc.ts';

const listen = (port: number) =>
  new Promise<() => Promise<void>>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(() => new Promise((done) => server.close(() => done()))));
  });

test('freePort hands out a bindable port below the ephemeral range, so an outgoing connection cannot take it first', async () => {
  const [ephemeralLow] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  for (let i = 0; i < 20; i += 1) {
    const port = await freePort();
    assert.ok(port < ephemeralLow, `${port} is below ${ephemeralLow}`);
    await (await listen(port))();
  }
});

test('freePort({ pair: true }) hands out a port whose successor is free too', async () => {
  for (let i = 0; i < 20; i += 1) {
    const port = await freePort({ pair: true });
    const closeFirst = await listen(port);
    const closeSecond = await listen(port + 1);
    await Promise.all([closeFirst(), closeSecond()]);
  }
});

test('freePort never hands out the same port twice in a process, though nothing has bound it yet', async () => {
  const taken = new Set<number>();
  for (let i = 0; i < 400; i += 1) {
    const pair = i % 2 === 0;
    const port = await freePort({ pair });
    for (const p of pair ? [port, port + 1] : [port]) {
      assert.ok(!taken.has(p), `port ${p} handed out again`);
      taken.add(p);
    }
  }
});

test('goServerEnv runs a local Go server on one processor unless the caller chose a number, and keeps the rest of the environment', () => {
  assert.deepEqual(goServerEnv({ PATH: '/usr/bin' }), { PATH: '/usr/bin', GOMAXPROCS: '1' });
  assert.deepEqual(goServerEnv({ PATH: '/usr/bin', GOMAXPROCS: '4' }), { PATH: '/usr/bin', GOMAXPROCS: '4' });
});
