import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import postgres from 'postgres';
import type { Logger } from '@meridian/log';

export { vacuumWithoutAutovacuum } from './maintenance.ts';

export type Sql = postgres.Sql;
export type TransactionSql = postgres.TransactionSql;

export interface DbOptions {
  /** Pool size (default `DB_POOL_MAX`, else 5: many services share one PostgreSQL's connection slots). */
  max?: number;
  /** Seconds an unused connection stays open (default 30), so idle services give their slots back. */
  idleTimeoutSeconds?: number;
  /** Seconds to wait for a connection before failing (default 30). */
  connectTimeoutSeconds?: number;
  /** Shown in `pg_stat_activity`. */
  applicationName?: string;
  /** Server notices go here at debug level instead of the console. */
  logger?: Logger;
}

/**
 * libpq's `?host=/dir` (a Unix-domain socket directory; the URL's host is then ignored, its port names
 * the socket `.s.PGSQL.<port>`) as postgres.js's `host` option, which the driver does not read from the
 * URL; any other URL as is.
 */
export function socketOf(url: string): { url: string; host?: string } {
  const parsed = new URL(url);
  const dir = parsed.searchParams.get('host');
  if (!dir?.startsWith('/')) return { url };
  parsed.searchParams.delete('host');
  return { url: parsed.toString(), host: dir };
}

/** `url` through the Unix socket in `dir`, in libpq's form (`?host=/dir`): the inverse of `socketOf`. */
export function viaSocket(url: string, dir: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('host', dir);
  return parsed.toString();
}

/**
 * The directory of the server's Unix socket (`.s.PGSQL.<port>`) when it is on this machine, so
 * `?host=<dir>` reaches it; undefined for a server elsewhere or one without a socket.
 */
export async function unixSocketDir(sql: Sql): Promise<string | undefined> {
  const [{ dirs, port }] = await sql<{ dirs: string; port: number }[]>`
    select current_setting('unix_socket_directories') as dirs, current_setting('port')::int as port`;
  return dirs
    .split(',')
    .map((dir) => dir.trim())
    .find((dir) => dir.startsWith('/') && existsSync(join(dir, `.s.PGSQL.${port}`)));
}

/** A porsager `postgres` pool for `url` (TCP, or a local socket with libpq's `?host=/dir`). */
export function createDb(url: string, options: DbOptions = {}): Sql {
  const socket = socketOf(url);
  return postgres(socket.url, {
    ...(socket.host ? { host: socket.host } : {}),
    max: options.max ?? (Number(process.env.DB_POOL_MAX) || 5),
    idle_timeout: options.idleTimeoutSeconds ?? 30,
    connect_timeout: options.connectTimeoutSeconds ?? 30,
    connection: options.applicationName ? { application_name: options.applicationName } : {},
    onnotice: (notice) => options.logger?.debug({ notice: notice.message }, 'postgres notice'),
  });
}

/** Resolves when the database answers a trivial query within `timeoutMs`; rejects otherwise. */
export async function dbReady(sql: Sql, timeoutMs = 2000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`database did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([sql`select 1`, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Thrown when a migration that already landed no longer matches its file. */
export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

const migrationFile = /^\d+_[\w.-]+\.sql$/;
/** Whether `name` is a migration (`NNN_name.sql`) rather than another file of the folder. */
export const isMigrationFile = (name: string): boolean => migrationFile.test(name);
// Every migrate() transaction takes this lock, so concurrent instances apply each migration once.
const lockSql = `select pg_advisory_xact_lock(hashtext('meridian:schema_migrations'))`;

/** A folder of `NNN_name.sql` migrations. */
export interface MigrationSource {
  dir: string;
  /** Recorded as `<scope>/<file>`, so a library's migrations never collide with a service's own (none: the service's). */
  scope?: string;
  /**
   * Landed names that already did what a file of this source does, by file: `{ '001_x.sql': '001_old.sql' }`.
   * Where the landed name is recorded, the file is recorded as applied without running it (a library
   * taking over a migration that services used to copy).
   */
  adopts?: Record<string, string>;
}

interface MigrationFile {
  /** As recorded in `schema_migrations`. */
  name: string;
  text: string;
  checksum: string;
  adopts?: string;
}

async function readSource(source: MigrationSource): Promise<MigrationFile[]> {
  const names = (await readdir(source.dir)).filter(isMigrationFile).sort();
  return Promise.all(
    names.map(async (file) => {
      const text = await readFile(join(source.dir, file), 'utf8');
      return {
        name: source.scope ? `${source.scope}/${file}` : file,
        text,
        checksum: createHash('sha256').update(text).digest('hex'),
        adopts: source.adopts?.[file],
      };
    }),
  );
}

/**
 * Applies the `NNN_name.sql` files of each source (a folder, or several: in the order given, each
 * in name order), each inside its own transaction, recording name and sha256 in `schema_migrations`.
 * Refuses (MigrationError) when a landed migration's checksum changed. Returns the names applied by
 * this call.
 */
export async function migrate(sql: Sql, sources: string | MigrationSource | (string | MigrationSource)[], logger?: Logger): Promise<string[]> {
  const list = (Array.isArray(sources) ? sources : [sources]).map((source) => (typeof source === 'string' ? { dir: source } : source));
  const files = (await Promise.all(list.map(readSource))).flat();

  const landed = await sql.begin(async (tx) => {
    await tx.unsafe(lockSql);
    await tx.unsafe(`create table if not exists schema_migrations (
      name text primary key,
      checksum text not null,
      applied_at timestamptz not null default now()
    )`);
    return tx<{ name: string; checksum: string }[]>`select name, checksum from schema_migrations`;
  });
  const landedChecksums = new Map(landed.map((row) => [row.name, row.checksum]));
  const changed = files.filter((f) => landedChecksums.has(f.name) && landedChecksums.get(f.name) !== f.checksum);
  if (changed.length > 0) {
    throw new MigrationError(
      `Refusing to start: already applied migration(s) changed on disk: ${changed.map((f) => f.name).join(', ')}. ` +
        'Add a new migration instead of editing an applied one.',
    );
  }

  const applied: string[] = [];
  for (const file of files.filter((f) => !landedChecksums.has(f.name))) {
    const started = performance.now();
    const outcome = await sql.begin(async (tx): Promise<'landed' | 'adopted' | 'applied'> => {
      await tx.unsafe(lockSql);
      const [existing] = await tx<{ checksum: string }[]>`select checksum from schema_migrations where name = ${file.name}`;
      if (existing) {
        if (existing.checksum !== file.checksum) throw new MigrationError(`Migration ${file.name} landed with a different checksum`);
        return 'landed';
      }
      const [adopted] = file.adopts ? await tx`select 1 from schema_migrations where name = ${file.adopts}` : [];
      if (!adopted) await tx.unsafe(file.text).simple();
      await tx`insert into schema_migrations (name, checksum) values (${file.name}, ${file.checksum})`;
      return adopted ? 'adopted' : 'applied';
    });
    if (outcome === 'applied') {
      applied.push(file.name);
      logger?.info({ migration: file.name, durationMs: Math.round(performance.now() - started) }, 'migration applied');
    } else if (outcome === 'adopted') {
      logger?.info({ migration: file.name, landedAs: file.adopts }, 'migration recorded: it landed earlier under another name');
    }
  }
  return applied;
}
