import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Admin } from '@platformatic/kafka';
import { createEtcdClient } from '@meridian/discovery';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { unixSocketDir, viaSocket } from '@meridian/db';
import type { KafkaConnection } from '@meridian/config';
import { postgresAnswers } from './infra/postgres.ts';
import { passwordsFor, secretsDir } from './lib/credentials.ts';
import { dropKafkaUsers } from './lib/kafkaUsers.ts';
import { repoRoot } from './lib/paths.ts';


/** Service names: folders of `servicesDir` with a package.json, unless `MERIDIAN_SERVICES=a,b` narrows them. */
export function listServices(servicesDir = join(repoRoot, 'services'), env: NodeJS.ProcessEnv = process.env): string[] {
  const all = existsSync(servicesDir)
    ? readdirSync(servicesDir).filter((name) => existsSync(join(servicesDir, name, 'package.json'))).sort()
    : [];
  if (!env.MERIDIAN_SERVICES) return all;
  const wanted = env.MERIDIAN_SERVICES.split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = wanted.filter((name) => !all.includes(name));
  if (unknown.length > 0) throw new Error(`MERIDIAN_SERVICES names unknown services: ${unknown.join(', ')}`);
  return wanted;
}

/** `meridian_<ns>_`: the start of every database and role name of namespace `ns`. */
export function namespacePrefix(ns: string): string {
  if (!/^[a-z0-9_]+$/.test(ns)) throw new Error(`MERIDIAN_NAMESPACE must be lowercase letters, digits or _: "${ns}"`);
  return `meridian_${ns}_`;
}

/** `meridian_<ns>_<service>`: the name of both the service's database and its login role. */
export function databaseName(ns: string, service: string): string {
  const suffix = service.replace(/-/g, '_');
  if (!/^[a-z0-9_]+$/.test(suffix)) throw new Error(`service name unusable as a database name: "${service}"`);
  return namespacePrefix(ns) + suffix;
}

/** `ORDERS_DATABASE_URL` for `orders`: a user override of that service's database. */
export const overrideVariable = (service: string) => `${service.toUpperCase().replace(/-/g, '_')}_DATABASE_URL`;

export interface ProvisionOptions {
  adminUrl: string;
  ns: string;
  services: string[];
  /** Also where the generated passwords are kept (`MERIDIAN_DATA_DIR`), and the overrides. */
  env?: NodeJS.ProcessEnv;
}

const quoteLiteral = (value: string) => `'${value.replace(/'/g, "''")}'`;

/** The URL service `service` of namespace `ns` connects with: its own role, password and database on the admin's server. */
export function serviceDatabaseUrl(adminUrl: string, ns: string, service: string, password: string): string {
  const name = databaseName(ns, service);
  const url = new URL(adminUrl);
  url.username = name;
  url.password = password;
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * The Unix-socket directory of the admin's server when it runs on this machine and lets a service's
 * role log in through it (a password login on the socket; `peer` authentication would refuse it).
 * Each statement then costs client and server less kernel time than over loopback TCP (docs/benchmarks.md).
 */
async function localSocketDir(sql: postgres.Sql, adminUrl: string, probeUrl: string | undefined): Promise<string | undefined> {
  if (!probeUrl || !['127.0.0.1', 'localhost', '[::1]'].includes(new URL(adminUrl).hostname)) return undefined;
  const dir = await unixSocketDir(sql);
  return dir && (await postgresAnswers(viaSocket(probeUrl, dir))) ? dir : undefined;
}

/**
 * Creates (idempotently) for each service a login role and a database of the same name owned by it,
 * which only that role (and superusers) may connect to. Each role has a password of its own, generated
 * once per namespace and kept under the data directory (`scripts/lib/credentials.ts`). Returns each
 * service's DATABASE_URL (through the server's Unix socket when it is local and takes the roles'
 * logins there); a set `<SERVICE>_DATABASE_URL` is returned as is and nothing is provisioned for that
 * service. Runs hold an advisory lock on the admin server, so parallel runs are safe.
 */
export async function provision({ adminUrl, ns, services, env = process.env }: ProvisionOptions): Promise<Record<string, string>> {
  const urls: Record<string, string> = {};
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    // concurrent runs (npm start beside npm test) would otherwise race on the same catalog rows
    await sql`select pg_advisory_lock(hashtext('meridian-provision'))`;
    const provisioned = services.filter((service) => !env[overrideVariable(service)]);
    // Read or generated under the lock: two racing runs hand out the same passwords.
    const passwords = passwordsFor('postgres', ns, provisioned, env);
    for (const service of services) {
      const override = env[overrideVariable(service)];
      if (override) {
        urls[service] = override;
        continue;
      }
      const name = databaseName(ns, service);
      const password = passwords[service]!;
      const [role] = await sql`select 1 from pg_roles where rolname = ${name}`;
      if (role) await sql.unsafe(`ALTER ROLE ${name} LOGIN PASSWORD ${quoteLiteral(password)}`);
      else await sql.unsafe(`CREATE ROLE ${name} LOGIN PASSWORD ${quoteLiteral(password)}`);
      const [database] = await sql`select 1 from pg_database where datname = ${name}`;
      if (database) await sql.unsafe(`ALTER DATABASE ${name} OWNER TO ${name}`);
      else await sql.unsafe(`CREATE DATABASE ${name} OWNER ${name}`);
      await sql.unsafe(`REVOKE CONNECT, TEMPORARY ON DATABASE ${name} FROM PUBLIC`);
      await sql.unsafe(`GRANT CONNECT, TEMPORARY, CREATE ON DATABASE ${name} TO ${name}`);
      urls[service] = serviceDatabaseUrl(adminUrl, ns, service, password);
    }
    // A local server: the services connect through its Unix socket when it takes their logins there.
    const dir = await localSocketDir(sql, adminUrl, provisioned.map((service) => urls[service]).find(Boolean));
    if (dir) for (const service of provisioned) urls[service] = viaSocket(urls[service]!, dir);
  } finally {
    await sql.end();
  }
  return urls;
}

/**
 * Drops every `meridian_<ns>_*` database (closing its connections) and role, and forgets the passwords
 * kept for those roles under `env`'s data directory. Returns what was dropped.
 */
export async function dropNamespace(adminUrl: string, ns: string, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const prefix = namespacePrefix(ns);
  rmSync(secretsDir(ns, env), { recursive: true, force: true });
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const databases = await sql<{ name: string }[]>`select datname as name from pg_database where starts_with(datname, ${prefix})`;
    for (const { name } of databases) await sql.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    const roles = await sql<{ name: string }[]>`select rolname as name from pg_roles where starts_with(rolname, ${prefix})`;
    for (const { name } of roles) await sql.unsafe(`DROP ROLE IF EXISTS "${name}"`);
    return [...new Set([...databases, ...roles].map(({ name }) => name))];
  } finally {
    await sql.end();
  }
}

/** The shared servers a namespace lives on; a part left out is not touched. */
export interface NamespaceServers {
  adminUrl?: string;
  /** With the broker admin's login when the broker wants logins: the namespace's Kafka users go too. */
  kafka?: KafkaConnection;
  redisUrl?: string;
  etcdEndpoints?: string;
}

/**
 * Forgets everything namespace `ns` left on shared servers: its databases and roles, its Kafka topics
 * and consumer groups, its Redis keys and its etcd keys. `npm test` starts from this, so a run never
 * sees an earlier run's products, offsets or cached pages; `npm run reset` uses it for servers it
 * did not start. Returns a one-line summary.
 */
export async function wipeNamespace(servers: NamespaceServers, ns: string): Promise<string> {
  const removed: string[] = [];
  if (servers.adminUrl) removed.push(`${(await dropNamespace(servers.adminUrl, ns)).length} database(s)/role(s)`);
  if (servers.kafka) removed.push(await wipeKafka(servers.kafka, ns));
  if (servers.redisUrl) removed.push(await wipeRedis(servers.redisUrl, ns));
  if (servers.etcdEndpoints) removed.push(await wipeEtcd(servers.etcdEndpoints, ns));
  return removed.join(', ');
}

async function wipeKafka(connection: KafkaConnection, ns: string): Promise<string> {
  const users = connection.sasl ? await dropKafkaUsers(connection, ns) : 0;
  const admin = new Admin({ clientId: `meridian-wipe-${ns}`, ...connection });
  try {
    const ours = async () => (await admin.listTopics({ includeInternals: false })).filter((topic) => topic.startsWith(`${ns}.`));
    const topics = await ours();
    if (topics.length > 0) await admin.deleteTopics({ topics });
    // Deletion completes in the background; a topic created again before that would be lost with it.
    for (const startedAt = Date.now(); (await ours()).length > 0; ) {
      if (Date.now() - startedAt > 30_000) throw new Error(`Kafka did not finish deleting the topics of namespace ${ns} within 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // Offsets of deleted topics go with them; the groups themselves are removed when they have no members.
    const groups = [...(await admin.listGroups()).keys()].filter((id) => id.startsWith(`${ns}.`));
    if (groups.length > 0) await admin.deleteGroups({ groups }).catch(() => {});
    return `${topics.length} topic(s), ${groups.length} consumer group(s), ${users} Kafka user(s)`;
  } finally {
    await admin.close();
  }
}

async function wipeRedis(url: string, ns: string): Promise<string> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  let keys = 0;
  try {
    await redis.connect();
    for await (const batch of redis.scanStream({ match: `${ns}:*`, count: 500 }) as AsyncIterable<string[]>) {
      if (batch.length === 0) continue;
      keys += batch.length;
      await redis.unlink(...batch);
    }
  } finally {
    redis.disconnect();
  }
  return `${keys} Redis key(s)`;
}

async function wipeEtcd(endpoints: string, ns: string): Promise<string> {
  const deleted = await createEtcdClient({ endpoints: endpoints.split(','), timeoutMs: 5000 }).deletePrefix(`/meridian/${ns}/`);
  return `${deleted} etcd key(s)`;
}
