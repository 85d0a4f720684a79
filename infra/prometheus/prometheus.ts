// Runs the project's Prometheus: the Debian binary, fed targets by the etcd discovery bridge.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderPrometheusConfig } from './config.ts';
import { startDiscoveryBridge } from './sd-server.ts';
import { ensureDebianPackages } from '../../scripts/infra/packages.ts';
import { freePort, goServerEnv, readyEndpointAnswers } from '../../scripts/lib/proc.ts';

export const rulesDir = join(dirname(fileURLToPath(import.meta.url)), 'rules');

/** The rule files Prometheus loads (`rules/*.rules.yml`; `*.test.yml` are promtool unit tests). */
export function ruleFiles(dir = rulesDir): string[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.rules.yml'))
    .sort()
    .map((file) => join(dir, file));
}

export interface EnsurePrometheusOptions {
  etcdEndpoints: string[];
  ns: string;
  dataDir?: string;
  /** 0 picks a free port. */
  port?: number;
  scrapeInterval?: string;
  /** `PROMETHEUS_URL`, when set, names a Prometheus to reuse if it answers. */
  env?: NodeJS.ProcessEnv;
  readyTimeoutMs?: number;
  /** Alertmanager base URLs to send alerts to. */
  alertmanagerUrls?: string[];
}

export interface RunningPrometheus {
  url: string;
  /** False when an already running Prometheus was reused (then `stop()` leaves it alone). */
  started: boolean;
  stop(): Promise<void>;
}

/**
 * Reuses the Prometheus at `PROMETHEUS_URL` if it answers; otherwise starts the discovery bridge and
 * a Prometheus on 127.0.0.1:`port` scraping every instance registered under namespace `ns`, and waits
 * until it is ready. Its config, TSDB and log live in `dataDir`.
 */
export async function ensurePrometheus({
  etcdEndpoints,
  ns,
  dataDir = '.data/prometheus',
  port = 9090,
  scrapeInterval = '5s',
  env = process.env,
  readyTimeoutMs = 30_000,
  alertmanagerUrls = [],
}: EnsurePrometheusOptions): Promise<RunningPrometheus> {
  if (env.PROMETHEUS_URL && (await readyEndpointAnswers(env.PROMETHEUS_URL))) {
    return { url: env.PROMETHEUS_URL, started: false, stop: async () => {} };
  }
  if (port === 0) port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  if (await readyEndpointAnswers(url)) {
    throw new Error(`a Prometheus already answers on ${url}; set PROMETHEUS_URL=${url} to reuse it, or stop it`);
  }
  await ensureDebianPackages(['prometheus', 'promtool'], (line) => console.log(`[infra] prometheus: ${line}`));

  const dir = resolve(dataDir);
  mkdirSync(join(dir, 'tsdb'), { recursive: true });
  const bridge = await startDiscoveryBridge({ etcdEndpoints, ns });
  const configFile = join(dir, 'prometheus.yml');
  const selfAddress = `127.0.0.1:${port}`;
  writeFileSync(configFile, renderPrometheusConfig({
    sdUrl: bridge.url, rulesFiles: ruleFiles(), scrapeInterval, selfAddress, alertmanagers: alertmanagerUrls.map((url) => new URL(url).host),
  }));

  const logFile = join(dir, 'prometheus.log');
  const log = openSync(logFile, 'w');
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'tsdb')}`,
      `--storage.tsdb.retention.time=7d`,
      `--web.listen-address=${selfAddress}`,
      '--web.enable-lifecycle',
    ],
    { stdio: ['ignore', log, log], env: goServerEnv(process.env) },
  );
  closeSync(log);
  const exited = new Promise<void>((resolveExit) => {
    child.once('exit', () => resolveExit());
    child.once('error', () => resolveExit()); // could not be spawned
  });
  let running = true;
  void exited.then(() => (running = false));

  const stop = async (): Promise<void> => {
    if (running) {
      child.kill('SIGTERM');
      await exited;
    }
    await bridge.stop();
  };

  const deadline = Date.now() + readyTimeoutMs;
  while (!(await readyEndpointAnswers(url))) {
    if (!running || Date.now() > deadline) {
      await stop();
      const tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join('\n');
      throw new Error(`prometheus did not become ready on ${url} (log ${logFile}):\n${tail}`);
    }
    await new Promise((wait) => setTimeout(wait, 200));
  }
  return { url, started: true, stop };
}
