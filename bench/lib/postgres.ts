/**
 * A private PostgreSQL cluster for the end-to-end benchmark: the shared server's 100 connections are
 * mostly taken by parallel test runs, while 3 instances of each saga service need more than that alone.
 * Same major version and durability settings as the shared server (fsync, synchronous_commit on).
 */
import { execFile } from 'node:child_process';
import { chownSync, mkdirSync, rmSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../scripts/lib/proc.ts';
import { scratchDir } from './paths.ts';

const run = promisify(execFile);
const bin = '/usr/lib/postgresql/15/bin';

export interface PrivatePostgres {
  adminUrl: string;
  stop(): Promise<void>;
}

export async function startPrivatePostgres(name: string, maxConnections = 400): Promise<PrivatePostgres> {
  const dir = join(scratchDir, `pg-${name}`);
  const cluster = join(dir, 'cluster');
  mkdirSync(dir, { recursive: true });
  const root = userInfo().uid === 0;
  if (root) {
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout);
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout);
    chownSync(dir, uid, gid);
  }
  // PostgreSQL refuses to run as root: as root, run its tools as the `postgres` OS user.
  const asOwner = (tool: string, args: string[]) => (root ? run('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]) : run(join(bin, tool), args));
  await asOwner('initdb', ['-D', cluster, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-instructions']);
  const port = await freePort();
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c max_connections=${maxConnections} -c shared_buffers=128MB`;
  await asOwner('pg_ctl', ['-D', cluster, '-w', '-t', '60', '-l', join(dir, 'postgres.log'), '-o', options, 'start']);
  return {
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      await asOwner('pg_ctl', ['-D', cluster, '-w', '-t', '60', '-m', 'fast', 'stop']).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
