// Runs the project's Alertmanager: Debian's prometheus-alertmanager, config rendered from config.ts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensureDebianPackages } from '../../scripts/infra/packages.ts';
import { readyEndpointAnswers, startDaemon, waitUntilReady } from '../../scripts/lib/proc.ts';
import { renderAlertmanagerConfig, type AlertmanagerConfigOptions } from './config.ts';

export interface EnsureAlertmanagerOptions extends AlertmanagerConfigOptions {
  /** Its URL, e.g. `http://127.0.0.1:9097` (9093, its usual port, is the Kafka controller's here). */
  url: string;
  dataDir: string;
  /** `ALERTMANAGER_URL`, when set, names an Alertmanager to reuse if it answers. */
  env?: NodeJS.ProcessEnv;
}

export interface RunningAlertmanager {
  url: string;
  /** False when an already running Alertmanager was reused (then `stop()` leaves it alone). */
  started: boolean;
  stop(): Promise<void>;
}

/**
 * Reuses the Alertmanager at `ALERTMANAGER_URL` if it answers; otherwise starts one at `url`
 * (single node, no cluster port), with its config, silences and log in `dataDir`.
 */
export async function ensureAlertmanager({ url, dataDir, webhook, groupInterval, env = process.env }: EnsureAlertmanagerOptions): Promise<RunningAlertmanager> {
  if (env.ALERTMANAGER_URL && (await readyEndpointAnswers(env.ALERTMANAGER_URL))) {
    return { url: env.ALERTMANAGER_URL, started: false, stop: async () => {} };
  }
  if (await readyEndpointAnswers(url)) {
    throw new Error(`an Alertmanager already answers on ${url}; set ALERTMANAGER_URL=${url} to reuse it, or stop it`);
  }
  await ensureDebianPackages(['prometheus-alertmanager'], (line) => console.log(`[infra] alertmanager: ${line}`));
  const dir = resolve(dataDir);
  mkdirSync(join(dir, 'data'), { recursive: true });
  const configFile = join(dir, 'alertmanager.yml');
  writeFileSync(configFile, renderAlertmanagerConfig({ webhook, groupInterval }));
  const logFile = join(dir, 'alertmanager.log');
  const { host, port } = new URL(url);
  const daemon = startDaemon('prometheus-alertmanager', [
    `--config.file=${configFile}`,
    `--storage.path=${join(dir, 'data')}`,
    `--web.listen-address=${host}`,
    `--web.external-url=${url}`,
    '--cluster.listen-address=', // one node: no gossip port
    '--log.level=warn',
  ], logFile);
  await waitUntilReady(() => readyEndpointAnswers(url), { what: `alertmanager on port ${port}`, timeoutMs: 30_000, daemon, logFile });
  return { url, started: true, stop: () => daemon.stop() };
}
