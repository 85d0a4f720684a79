import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { dataDir } from '../lib/paths.ts';
import { hostPort, seconds, startDaemon, waitUntilReady } from '../lib/proc.ts';
import { infraLog, reusedServer, type EnsureOptions, type InfraServer } from './server.ts';

/** True when a Redis server at `url` answers PING. */
export function redisAnswers(url: string): Promise<boolean> {
  const { host, port } = hostPort(url, 6379);
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    // +PONG, or -NOAUTH from a password-protected server: either way Redis is there
    socket.once('data', (reply) => done(/^(\+PONG|-NOAUTH)/.test(reply.toString())));
  });
}

/** Reuses Redis at `url` when it answers; otherwise starts `redis-server` there with its data under `dir`. */
export async function ensureRedis(
  { url = 'redis://127.0.0.1:6379', dir = join(dataDir(), 'redis'), log = infraLog }: EnsureOptions & { url?: string } = {},
): Promise<InfraServer> {
  if (await redisAnswers(url)) return reusedServer('redis', url, log);
  const startedAt = Date.now();
  log(`redis: starting at ${url}…`);
  const { host, port } = hostPort(url, 6379);
  mkdirSync(dir, { recursive: true });
  const logFile = join(dir, 'redis.log');
  const daemon = startDaemon('redis-server', ['--bind', host, '--port', String(port), '--dir', dir,
    '--daemonize', 'no', '--logfile', logFile], join(dir, 'redis.out'));
  await waitUntilReady(() => redisAnswers(url), { what: 'redis', timeoutMs: 15_000, daemon, logFile });
  log(`redis: ready at ${url} (${seconds(startedAt)})`);
  return { name: 'redis', address: url, started: true, stop: () => daemon.stop() };
}
