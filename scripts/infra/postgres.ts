import { chownSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { createDb } from '@meridian/db';
import { dataDir } from '../lib/paths.ts';
import { hostPort, run, seconds } from '../lib/proc.ts';
import { infraLog, reusedServer, type EnsureOptions, type InfraServer } from './server.ts';

/** True when PostgreSQL at `url` (TCP, or a Unix socket in libpq's `?host=/dir` form) accepts the login and answers a query. */
export async function postgresAnswers(url: string): Promise<boolean> {
  const sql = createDb(url, { max: 1, connectTimeoutSeconds: 2 });
  try {
    await sql`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** `url` for a log line: the password, if any, replaced by `***`. */
export function withoutPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/** Debian's PostgreSQL binaries (newest installed major version). */
function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl'))) : [];
  if (versions.length === 0) {
    throw new Error('PostgreSQL is not running and not installed: `apt-get install -y postgresql` or set PG_ADMIN_URL');
  }
  return join(root, versions.sort((a, b) => Number(b) - Number(a))[0], 'bin');
}

export interface PostgresOptions extends EnsureOptions {
  url?: string;
  /**
   * `trust` (default): any local connection is let in, as on a developer's machine. `password`: TCP
   * logins need the role's password (`scram-sha-256` in pg_hba.conf); the superuser's is the one in `url`.
   */
  auth?: 'trust' | 'password';
}

/**
 * Reuses PostgreSQL at `url` when it answers; otherwise initialises a cluster under `dir` (superuser
 * `postgres`, authentication per `auth`) and starts it with pg_ctl. PostgreSQL refuses to run as
 * root, so as root the cluster belongs to the `postgres` OS user.
 */
export async function ensurePostgres(
  { url = 'postgres://postgres@127.0.0.1:5432/postgres', dir = join(dataDir(), 'postgres'), log = infraLog, auth = 'trust' }: PostgresOptions = {},
): Promise<InfraServer> {
  const shown = withoutPassword(url);
  if (await postgresAnswers(url)) return { ...reusedServer('postgres', shown, log), address: url };
  const startedAt = Date.now();
  log(`postgres: starting at ${shown}…`);
  const bin = postgresBinDir();
  const { host, port } = hostPort(url, 5432);
  const asOwner = (cmd: string, args: string[]) =>
    userInfo().uid === 0 ? run('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]) : run(join(bin, cmd), args);
  const cluster = join(dir, 'cluster');
  mkdirSync(dir, { recursive: true });
  if (userInfo().uid === 0) chownSync(dir, Number(await run('id', ['-u', 'postgres'])), Number(await run('id', ['-g', 'postgres'])));
  if (!existsSync(join(cluster, 'PG_VERSION'))) {
    if (auth === 'password') {
      const superuserPassword = decodeURIComponent(new URL(url).password);
      if (!superuserPassword) throw new Error(`postgres: auth 'password' needs the superuser's password in ${url}`);
      const passwordFile = join(dir, 'superuser-password');
      writeFileSync(passwordFile, superuserPassword, { mode: 0o600 });
      if (userInfo().uid === 0) chownSync(passwordFile, Number(await run('id', ['-u', 'postgres'])), Number(await run('id', ['-g', 'postgres'])));
      try {
        await asOwner('initdb', ['-D', cluster, '-U', 'postgres', '--auth-host=scram-sha-256', '--auth-local=peer', `--pwfile=${passwordFile}`, '-E', 'UTF8', '--no-instructions']);
      } finally {
        rmSync(passwordFile, { force: true });
      }
    } else {
      await asOwner('initdb', ['-D', cluster, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-instructions']);
    }
  }
  const pgCtl = (...args: string[]) => asOwner('pg_ctl', ['-D', cluster, '-w', '-t', '60', ...args]);
  await pgCtl('-l', join(dir, 'postgres.log'), '-o', `-p ${port} -c listen_addresses=${host} -k ${dir}`, 'start');
  log(`postgres: ready at ${shown} (${seconds(startedAt)})`);
  const stop = async () => {
    if (existsSync(join(cluster, 'postmaster.pid'))) await pgCtl('-m', 'fast', 'stop');
  };
  return { name: 'postgres', address: url, started: true, stop };
}
