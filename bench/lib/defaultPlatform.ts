/**
 * The platform exactly as `npm start` runs it (every service and web app, log shipping, tracing,
 * metrics, Prometheus scraping through discovery), in a namespace of its own, for a benchmark that
 * measures the default configuration; everything it created is removed afterwards.
 */
import { createWriteStream, rmSync } from 'node:fs';
import { join } from 'node:path';
import { businessTopics } from '@meridian/contracts';
import { logsTopicSettings } from '@meridian/log';
import { defineTopic, ensureTopics } from '@meridian/messaging';
import { dataDir } from '../../scripts/lib/paths.ts';
import { freePort } from '../../scripts/lib/proc.ts';
import { startPlatform, type Platform } from '../../scripts/platform.ts';
import { infraEnv } from './infra.ts';
import { scratchFile } from './paths.ts';
import { benchNamespace, cleanNamespace, staff } from './platform.ts';

/** Starts the default platform, runs `measure` on it, and removes it again (also when `measure` throws). */
export async function withDefaultPlatform<T>(log: (line: string) => void, measure: (platform: Platform) => Promise<T>): Promise<T> {
  const ns = benchNamespace();
  const env = { ...process.env, ...infraEnv(), MERIDIAN_NAMESPACE: ns, STAFF_EMAIL: staff.email, STAFF_PASSWORD: staff.password };
  const platformLog = createWriteStream(scratchFile(`${ns}.platform.log`));
  // Created up front: services racing to create the same topic at startup can fail (see docs/benchmarks.md).
  await ensureTopics({ brokers: env.KAFKA_BROKERS!, ns, topics: [...businessTopics, defineTopic(logsTopicSettings)] });
  log(`starting the platform as npm start runs it (namespace ${ns}, web apps and Prometheus included)`);
  const platform = await startPlatform({
    ns,
    env,
    gatewayPort: await freePort(),
    prometheusPort: 0,
    zipkin: { port: 'free' },
    webApps: { ports: 'free' },
    print: (line) => platformLog.write(`${line}\n`),
  });
  const cleanUp = async () => {
    await platform.stop();
    await cleanNamespace(infraEnv(), ns).catch((err: Error) => log(`cleanup of ${ns} incomplete: ${err.message}`));
    for (const server of ['prometheus', 'alertmanager', 'zipkin']) rmSync(join(dataDir(env), `${server}-${ns}`), { recursive: true, force: true });
    platformLog.end();
  };
  // Ctrl-C or a kill mid-run: stop the services and web apps too (they run in process groups of their own)
  // instead of leaving them running. A terminal's Ctrl-C reaches this process directly and again through
  // `npm run bench`'s launchers: a second signal must not end it, with its default action, mid-cleanup.
  let interruptedBy: NodeJS.Signals | undefined;
  const interrupted = (signal: NodeJS.Signals) => {
    if (interruptedBy) return;
    interruptedBy = signal;
    log(`${signal}: stopping the benchmark's platform (namespace ${ns})`);
    void cleanUp().finally(() => process.exit(130));
  };
  process.on('SIGINT', interrupted);
  process.on('SIGTERM', interrupted);
  try {
    return await measure(platform);
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await cleanUp();
  }
}
