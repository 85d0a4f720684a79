// `npm start`: the whole platform on this machine, until Ctrl-C.
import { parseArgs } from 'node:util';
import { withoutPassword } from './infra/postgres.ts';
import { serveControl, type ControlEndpoint } from './lib/control.ts';
import { removePidFile, runningPlatformPid, writePidFile } from './lib/pidfile.ts';
import { displayPath } from './lib/paths.ts';
import { removePlatformFile, writePlatformFile } from './lib/platformFile.ts';
import { startPlatform, type Platform } from './platform.ts';
import { seedIfEmpty } from './seed.ts';

const { values: args } = parseArgs({
  options: {
    'raw-logs': { type: 'boolean', default: false },
    profile: { type: 'string', default: 'single' },
    instances: { type: 'string' },
    // On by default: a first start shows a living store. `--no-seed` keeps an empty catalog empty.
    seed: { type: 'boolean', default: true },
  },
  allowNegative: true,
});
if (args.profile !== 'single' && args.profile !== 'cluster') {
  console.error(`unknown profile "${args.profile}": use --profile single (default) or --profile cluster`);
  process.exit(2);
}

const runningPid = runningPlatformPid();
if (runningPid !== undefined) {
  console.error(`A platform is already running (pid ${runningPid}). Stop it with Ctrl-C in its terminal or \`kill ${runningPid}\`.`);
  process.exit(1);
}
writePidFile();

/**
 * Aborted by the shutdown: startPlatform stops what it had started and rejects, and a first start's seed
 * stops at once instead of failing against stopping services.
 */
const startup = new AbortController();
let platform: Platform | undefined;
let control: ControlEndpoint | undefined;
/**
 * The shutdown under way, if any (it exits the process when done); the startup flow waits for it
 * instead of exiting under it.
 */
let shuttingDown: Promise<void> | undefined;

function exit(code: number): never {
  removePidFile();
  removePlatformFile();
  process.exit(code);
}

function shutdown(signal: string): Promise<void> {
  // npm and the terminal may both deliver the same Ctrl-C
  shuttingDown ??= stopEverything(signal);
  return shuttingDown;
}

async function stopEverything(signal: string): Promise<void> {
  startup.abort();
  console.log(`\n[platform] ${signal}: shutting down…`);
  if (!platform) return; // startPlatform stops what it started, then the startup below exits
  await control?.close();
  await platform.stop();
  console.log('[platform] stopped');
  exit(0);
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(signal));

function readyBlock({ gatewayUrl, infra, ns, services, logDir, apps, prometheusUrl, alertmanagerUrl, zipkinUrl, staff }: Platform): string {
  const rule = '─'.repeat(72);
  return [
    rule,
    `  Meridian is running (namespace ${ns}): ${services.join(', ') || 'no services'}`,
    '',
    ...apps.map((app) => `  ${app.title.padEnd(12)} ${app.url}`),
    `  Gateway      ${gatewayUrl}`,
    `  API docs     ${gatewayUrl}/docs  (each service: <its url>/docs)`,
    ...(prometheusUrl ? [`  Prometheus   ${prometheusUrl}  (Grafana dashboards: infra/grafana/)`] : []),
    ...(alertmanagerUrl ? [`  Alerts       ${alertmanagerUrl}  (Alertmanager; firing alerts also in the ops console)`] : []),
    ...(zipkinUrl ? [`  Traces       ${zipkinUrl}/zipkin/  (Zipkin: every request and event, one trace per order)`] : []),
    `  Staff login  ${staff.email} / ${staff.password}`,
    '',
    `  Kafka        ${infra.env.KAFKA_BROKERS}`,
    `  PostgreSQL   ${withoutPassword(infra.env.PG_ADMIN_URL)}`,
    `  Redis        ${infra.env.REDIS_URL}`,
    `  etcd         ${infra.env.ETCD_ENDPOINTS}`,
    `  Service logs ${displayPath(logDir)}/<service>.log`,
    '',
    '  Stop with Ctrl-C (services, then the infrastructure started here).',
    rule,
  ].join('\n');
}

try {
  platform = await startPlatform({
    rawLogs: args['raw-logs'],
    signal: startup.signal,
    profile: args.profile,
    instances: args.instances ? Number(args.instances) : undefined,
    prometheusPort: Number(process.env.PROMETHEUS_PORT || 9090),
    zipkin: { port: 'default' },
    webApps: { ports: 'default' },
  });
  if (shuttingDown) { // the signal came as startup finished
    await platform.stop();
    exit(0);
  }
  const target = { ns: platform.ns, gatewayUrl: platform.gatewayUrl, staffEmail: platform.staff.email, staffPassword: platform.staff.password };
  // `npm run upgrade` starts and retires service processes through this launcher.
  control = await serveControl(platform);
  writePlatformFile({ ...target, control: { url: control.url, token: control.token } });
  if (args.seed) await seedIfEmpty(target, console.log, startup.signal);
  // Ctrl-C while seeding: the seed ends early, and the shutdown under way stops the services, then exits.
  if (shuttingDown) await shuttingDown;
  console.log(readyBlock(platform));
} catch (error) {
  if (shuttingDown) {
    if (platform) await shuttingDown; // it stops the services, then exits
    console.log('[platform] stopped');
    exit(0);
  }
  console.error(`\n[platform] ✖ failed to start: ${(error as Error).message}`);
  exit(1);
}
