import { join } from 'node:path';
import { dataDir } from '../lib/paths.ts';
import { goServerEnv, hostPort, seconds, startDaemon, waitUntilReady } from '../lib/proc.ts';
import { ensureDebianPackages } from './packages.ts';
import { infraLog, reusedServer, type EnsureOptions, type InfraServer } from './server.ts';

/** True when the etcd v3 JSON gateway at `endpoint` answers a range request. */
export async function etcdAnswers(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint}/v3/kv/range`, {
      method: 'POST',
      body: JSON.stringify({ key: Buffer.from('/meridian/').toString('base64') }),
      signal: AbortSignal.timeout(2000),
    });
    return response.ok;
  } catch {
    return false;
  }
}

/** Reuses etcd at `endpoint` when it answers; otherwise starts a single-member etcd there (peer on port + 1). */
export async function ensureEtcd(
  { endpoint = 'http://127.0.0.1:2379', dir = join(dataDir(), 'etcd'), log = infraLog }: EnsureOptions & { endpoint?: string } = {},
): Promise<InfraServer> {
  if (await etcdAnswers(endpoint)) return reusedServer('etcd', endpoint, log);
  const startedAt = Date.now();
  log(`etcd: starting at ${endpoint}…`);
  await ensureDebianPackages(['etcd'], (line) => log(`etcd: ${line}`));
  if (await etcdAnswers(endpoint)) return reusedServer('etcd', endpoint, log); // the package may start its own
  const { host, port } = hostPort(endpoint, 2379);
  const client = `http://${host}:${port}`;
  const peer = `http://${host}:${port + 1}`;
  const logFile = join(dir, 'etcd.log');
  const daemon = startDaemon('etcd', [
    '--name', 'meridian', '--data-dir', join(dir, 'data'),
    '--listen-client-urls', client, '--advertise-client-urls', client,
    '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `meridian=${peer}`,
  ], logFile, { env: goServerEnv() });
  await waitUntilReady(() => etcdAnswers(endpoint), { what: 'etcd', timeoutMs: 30_000, daemon, logFile });
  log(`etcd: ready at ${endpoint} (${seconds(startedAt)})`);
  return { name: 'etcd', address: endpoint, started: true, stop: () => daemon.stop() };
}
