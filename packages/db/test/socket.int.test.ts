import { test } from 'node:test';
import assert from 'node:assert/strict';
import { infra } from '@meridian/testkit';
import { createDb, socketOf, unixSocketDir, viaSocket } from '../src/index.ts';

test("socketOf: libpq's ?host=/dir becomes the driver's host option and leaves the URL", () => {
  assert.deepEqual(socketOf('postgres://orders:pw@127.0.0.1:5432/orders?host=%2Fvar%2Frun%2Fpostgresql'), {
    url: 'postgres://orders:pw@127.0.0.1:5432/orders',
    host: '/var/run/postgresql',
  });
  assert.deepEqual(socketOf('postgres://orders:pw@127.0.0.1:5432/orders?host=/tmp&sslmode=disable'), {
    url: 'postgres://orders:pw@127.0.0.1:5432/orders?sslmode=disable',
    host: '/tmp',
  });
  // A host name in the query is not a socket directory: the URL is used as given.
  const tcp = 'postgres://orders:pw@db.internal:5432/orders?host=db.other';
  assert.deepEqual(socketOf(tcp), { url: tcp });
  assert.deepEqual(socketOf('postgres://orders:pw@127.0.0.1:5432/orders'), { url: 'postgres://orders:pw@127.0.0.1:5432/orders' });
  assert.deepEqual(socketOf(viaSocket('postgres://orders:pw@127.0.0.1:5432/orders', '/tmp')), { url: 'postgres://orders:pw@127.0.0.1:5432/orders', host: '/tmp' });
});

test('a ?host=/dir URL connects through the Unix socket, the plain one over TCP', async (t) => {
  const adminUrl = infra().pgAdminUrl;
  const tcp = createDb(adminUrl, { max: 1 });
  t.after(() => tcp.end());
  const dir = await unixSocketDir(tcp);
  if (!dir) return t.skip('this server has no Unix socket on this machine');
  const local = createDb(viaSocket(adminUrl, dir), { max: 1 });
  t.after(() => local.end());
  // inet_server_addr() is the server's address for TCP and null on a Unix socket.
  const [overSocket] = await local<{ addr: string | null }[]>`select inet_server_addr()::text as addr`;
  const [overTcp] = await tcp<{ addr: string | null }[]>`select inet_server_addr()::text as addr`;
  assert.equal(overSocket.addr, null);
  assert.ok(overTcp.addr, 'TCP connection has a server address');
});
