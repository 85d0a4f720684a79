import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, dataDir } from '../lib/paths.ts';
import { hostPort, run, seconds, startDaemon, waitUntilReady } from '../lib/proc.ts';
import { infraLog, reusedServer, type EnsureOptions, type InfraServer } from './server.ts';

export const zipkinVersion = '3.6.1';
const jarFile = join(cacheDir, 'zipkin', zipkinVersion, 'zipkin-server-exec.jar');

/** True when the Zipkin server at `url` reports itself UP. */
export async function zipkinAnswers(url: string): Promise<boolean> {
  try {
    const response = await fetch(new URL('/health', url), { signal: AbortSignal.timeout(2000) });
    const body = (await response.json().catch(() => ({}))) as { status?: string };
    return response.ok && body.status === 'UP';
  } catch {
    return false;
  }
}

/** Fetches the `io.zipkin:zipkin-server` exec jar from Maven Central once (cached in .cache/, kept by `npm run reset`). */
async function ensureJar(log: (line: string) => void): Promise<void> {
  if (existsSync(jarFile)) return;
  const partial = `${jarFile}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  log(`zipkin: downloading zipkin-server ${zipkinVersion} with Maven (first run only)…`);
  await run('mvn', ['-q', '-B', 'dependency:copy', `-Dartifact=io.zipkin:zipkin-server:${zipkinVersion}:jar:exec`,
    `-DoutputDirectory=${partial}`, '-Dmdep.stripVersion=true']);
  renameSync(join(partial, 'zipkin-server-exec.jar'), jarFile);
  rmSync(partial, { recursive: true, force: true });
}

/**
 * Reuses the Zipkin server at `url` when it answers; otherwise starts one there with the machine's
 * Java: in-memory storage (the newest 100,000 spans), listening on loopback only, log under `dir`.
 */
export async function ensureZipkin(
  { url = 'http://127.0.0.1:9411', dir = join(dataDir(), 'zipkin'), log = infraLog }: EnsureOptions & { url?: string } = {},
): Promise<InfraServer> {
  if (await zipkinAnswers(url)) return reusedServer('zipkin', url, log);
  const startedAt = Date.now();
  const { host, port } = hostPort(url.replace(/^https?:\/\//, ''), 9411);
  log(`zipkin: starting ${zipkinVersion} at ${url}${existsSync(jarFile) ? '' : ' (first run downloads the server jar)'}…`);
  await ensureJar(log);
  mkdirSync(dir, { recursive: true });
  const logFile = join(dir, 'zipkin.log');
  const daemon = startDaemon('java', [
    '-Xmx384m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-jar', jarFile,
    `--armeria.ports[0].ip=${host}`, `--armeria.ports[0].port=${port}`, '--armeria.ports[0].protocols=http',
    '--logging.level.root=WARN', '--logging.level.zipkin2=INFO',
  ], logFile, { env: { ...process.env, STORAGE_TYPE: 'mem', MEM_MAX_SPANS: '100000', QUERY_PORT: String(port) } });
  await waitUntilReady(() => zipkinAnswers(url), { what: 'zipkin', timeoutMs: 90_000, daemon, logFile });
  log(`zipkin: ready at ${url} (${seconds(startedAt)})`);
  return { name: 'zipkin', address: url, started: true, stop: () => daemon.stop() };
}
