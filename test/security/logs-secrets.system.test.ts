// Secrets never reach the logs: after using a distinctive password and real tokens against every
// service (valid, invalid, in bodies and headers), the log files of every service of this run and
// the shipped log store (logging service) hold none of the passwords, tokens or keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { infra } from '@meridian/testkit';
import { readPasswords } from '../../scripts/lib/credentials.ts';
import { gateway, logDir, ns, registerCustomer, send, serviceInstances, staffCredentials, staffLogin, waitFor } from './support.ts';

// The database password the platform generated for each service of this run.
const dbPasswords = readPasswords('postgres', ns);

function databaseUrl(service: string): string {
  const url = new URL(infra().pgAdminUrl);
  url.pathname = `/meridian_${ns}_${service}`;
  return url.toString();
}

async function withDb<T>(service: string, fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(databaseUrl(service), { max: 1, onnotice: () => {} });
  try {
    return await fn(sql);
  } finally {
    await sql.end();
  }
}

/** Exercises every service with secrets in every place a careless log line could pick them up. */
async function useSecrets(marker: string): Promise<{ password: string; tokens: string[] }> {
  const password = `Sec-${randomUUID()}-pässwörd`;
  const user = await registerCustomer(password);
  const staff = await staffLogin();
  const tokens = [user.token, staff];
  const services = await serviceInstances();
  const wrongPassword = `${password}-wrong`;
  await send(gateway, 'POST', '/api/v1/auth/login', { json: { email: user.email, password: wrongPassword } });
  // A rejected body that carries the password (validation error), and a duplicate registration.
  await send(gateway, 'POST', '/api/v1/auth/register', { json: { email: 'not-an-email', password, name: 'x' } });
  await send(gateway, 'POST', '/api/v1/auth/register', { json: { email: user.email, password, name: 'again' } });
  await send(gateway, 'POST', '/api/v1/auth/login', { body: `password=${password}`, headers: { 'content-type': 'text/plain' } });
  for (const instance of services.values()) {
    for (const token of tokens) {
      await send(instance.url, 'GET', '/api/v1/auth/me', { token });
      await send(instance.url, 'GET', '/api/v1/orders', { token });
      await send(instance.url, 'GET', `/api/v1/payments?orderId=${randomUUID()}`, { token });
      await send(instance.url, 'GET', '/api/v1/notifications', { token });
      await send(instance.url, 'GET', '/api/v1/ops/logs?limit=1', { token });
      await send(instance.url, 'GET', marker, { token });
      await send(instance.url, 'GET', '/api/v1/orders', { token: `${token}tampered` });
    }
  }
  for (const token of tokens) {
    await send(gateway, 'GET', '/api/v1/orders', { token });
    await send(gateway, 'GET', '/api/v1/orders', { token: `${token}tampered` });
  }
  return { password, tokens };
}

test('no password, token, signing key or database password appears in any log of the run', async () => {
  const marker = `/api/v1/no-such-route-${randomUUID()}`;
  const { password, tokens } = await useSecrets(marker);
  const signingKey = await withDb('identity', (sql) => sql<{ d: string }[]>`select private_jwk->>'d' as d from signing_keys`);
  const secrets: Record<string, string> = {
    'user password': password,
    'staff password': staffCredentials.password,
    ...Object.fromEntries(Object.entries(dbPasswords).map(([service, value]) => [`${service}'s database password`, value])),
    'identity signing key (private part)': signingKey[0]!.d,
    ...Object.fromEntries(tokens.flatMap((token, i) => [
      [`access token ${i}`, token],
      [`access token ${i} signature`, token.split('.')[2]!],
    ])),
  };
  assert.ok(Object.keys(dbPasswords).length >= 7, `the run's database passwords are known: ${Object.keys(dbPasswords).join(', ')}`);
  for (const [name, value] of Object.entries(secrets)) assert.ok(value.length >= 8, `${name} is distinctive enough to search for`);

  // Services log asynchronously: wait until the last requests have been written.
  assert.ok(existsSync(logDir), `log directory ${logDir} exists (set PLATFORM_LOG_DIR when the platform writes elsewhere)`);
  const files = readdirSync(logDir).filter((file) => file.endsWith('.log'));
  assert.ok(files.length >= 6, `service logs in ${logDir}: ${files.join(', ')}`);
  await waitFor(() => files.every((f) => f === 'gateway.log' || readFileSync(join(logDir, f), 'utf8').includes(marker)), {
    timeoutMs: 10_000, message: 'the requests of this test in every service log',
  });

  const found: string[] = [];
  for (const file of files) {
    const text = readFileSync(join(logDir, file), 'utf8');
    for (const [name, value] of Object.entries(secrets)) {
      if (text.includes(value)) found.push(`${file}: ${name}`);
    }
  }

  // Shipped logs: the logging service's store (when log shipping is on).
  const shipped = await withDb('logging', async (sql) => {
    const [table] = await sql`select to_regclass('log_entries') as name`;
    if (!table?.name) return [];
    const hits: string[] = [];
    for (const [name, value] of Object.entries(secrets)) {
      const [row] = await sql`select count(*)::int as n from log_entries where strpos(msg || ' ' || data::text, ${value}) > 0`;
      if (row!.n > 0) hits.push(`log_entries: ${name} (${row!.n} entries)`);
    }
    return hits;
  });
  assert.deepEqual([...found, ...shipped], [], 'secrets found in logs');
});
