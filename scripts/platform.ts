import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureInfra, type Infra, type InfraServer, type Profile } from './infra/index.ts';
import { ensureZipkin } from './infra/zipkin.ts';
import { dataDir, displayPath, repoRoot } from './lib/paths.ts';
import { freePort, portOpen, seconds, sleep } from './lib/proc.ts';
import { supervise, type Supervised } from './lib/supervisor.ts';
import { listServices, provision } from './provision.ts';
import { kafkaConnection, kafkaLoginEnv } from '@meridian/config';
import { logsTopic } from '@meridian/log';
import { ensureTopics } from '@meridian/messaging';
import type { KafkaCredentials } from '../infra/kafka/security.ts';
import { platformKafkaNeeds, provisionKafkaUsers } from './lib/kafkaUsers.ts';

export interface PlatformOptions {
  /** MERIDIAN_NAMESPACE; default from env, else `dev`. */
  ns?: string;
  /** Default from GATEWAY_PORT, else 8080. */
  gatewayPort?: number;
  /** Folder holding one folder per service; default MERIDIAN_SERVICES_DIR, else `services/`. */
  servicesDir?: string;
  /** Print service output as is instead of prettifying pino JSON. */
  rawLogs?: boolean;
  /** How long to wait for the gateway's /healthz; default 120 s. */
  readyTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  print?: (line: string) => void;
  /** Aborting it during startup (e.g. on Ctrl-C) stops what was started and rejects. */
  signal?: AbortSignal;
  /**
   * Run Prometheus (scraping every instance found in discovery) on this port, 0 picks a free one, and
   * beside it an Alertmanager (9097, or a free port) routing its alerts to the ops console. Off when undefined.
   */
  prometheusPort?: number;
  /** `cluster`: a 3-broker Kafka cluster (RF 3, min ISR 2) and `instances` (default 2) of every backend service. */
  profile?: Profile;
  /** Instances of every backend service (the gateway runs once, on its port); default 1, or 2 with the cluster profile. */
  instances?: number;
  /**
   * The slot of the first instance (default 1), then 2, 3, ...: a second platform in the same namespace
   * starts after the first one's, since an instance's consumers are static group members named by slot.
   */
  firstSlot?: number;
  /**
   * Run a Zipkin server (or reuse the one answering at ZIPKIN_URL) that every process sends its spans to;
   * `default` listens on 9411, `free` picks a port. Started beside the rest, awaited last. Off when undefined.
   */
  zipkin?: { port: 'default' | 'free' };
  /** Build and serve the web apps; `ports` default to each app's own (3000, 3001, 3002), 0 picks free ones. */
  webApps?: { ports?: 'default' | 'free' };
}

export interface RunningWebApp {
  name: string;
  title: string;
  url: string;
  /** The env variable end-to-end tests read its URL from. */
  urlEnv: string;
}

export interface Platform {
  ns: string;
  gatewayUrl: string;
  infra: Infra;
  /** Services that were started (those with a src/main.ts). */
  services: string[];
  /** Where each service's raw output is kept. */
  logDir: string;
  prometheusUrl?: string;
  alertmanagerUrl?: string;
  /** The staff account every service was given (STAFF_EMAIL / STAFF_PASSWORD, else the local defaults). */
  staff: { email: string; password: string };
  /** The Zipkin server receiving every span, when tracing runs. */
  zipkinUrl?: string;
  apps: RunningWebApp[];
  /** Fault injection: sends `signal` to a service's process; its supervisor restarts it (with `env` merged in). */
  kill(service: string, signal?: NodeJS.Signals, env?: NodeJS.ProcessEnv): void;
  /** The backend service processes running now: the ones started with the platform and those an upgrade added. */
  instances(service?: string): ServiceProcess[];
  /** Starts `count` instances of another build of `service` beside the running ones, each in a slot of its own. */
  launchBuild(service: string, build: ServiceBuild, count: number): ServiceProcess[];
  /**
   * Stops instances for good (SIGINT: they leave discovery, finish in-flight work and hand their partitions
   * over); their build is remembered as the service's previous one, with `registeredAs` as its version
   * when it was launched without one (the version its instances reported to discovery).
   */
  retire(ids: string[], registeredAs?: string): Promise<void>;
  /** The build of the instances of `service` retired last, to roll back to. */
  previousBuild(service: string): ServiceBuild | undefined;
  /** Stops services (gateway first), then the infrastructure this platform started. */
  stop(): Promise<void>;
}

/** One build of a service: the script its processes run and the version they report (unset: the definition's). */
export interface ServiceBuild {
  script: string;
  cwd: string;
  version?: string;
}

/** A service process under the launcher's supervision. */
export interface ServiceProcess {
  id: string;
  service: string;
  slot: string;
  build: ServiceBuild;
  state: 'running' | 'restarting' | 'failed';
}

export const gatewayService = 'gateway';

/** Names of services registered as `ready` in etcd under the namespace. */
async function readyInDiscovery(etcdEndpoint: string, ns: string): Promise<Set<string>> {
  const prefix = `/meridian/${ns}/services/`;
  const rangeEnd = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
  const b64 = (value: string) => Buffer.from(value).toString('base64');
  const ready = new Set<string>();
  try {
    const response = await fetch(`${etcdEndpoint}/v3/kv/range`, {
      method: 'POST',
      body: JSON.stringify({ key: b64(prefix), range_end: b64(rangeEnd) }),
      signal: AbortSignal.timeout(2000),
    });
    const { kvs = [] } = (await response.json()) as { kvs?: { value: string }[] };
    for (const { value } of kvs) {
      const instance = JSON.parse(Buffer.from(value, 'base64').toString()) as { service?: string; health?: string };
      if (instance.health === 'ready' && instance.service) ready.add(instance.service);
    }
  } catch {
    // discovery unreachable or records not JSON: report nothing as ready
  }
  return ready;
}

async function gatewayHealthy(gatewayUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${gatewayUrl}/healthz`, { signal: AbortSignal.timeout(2000) });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

/**
 * Ensures infrastructure, provisions each service's database, starts every service that has a
 * `src/main.ts` (gateway last) under supervision, and waits until the gateway's /healthz is 200.
 * On failure everything started so far is stopped again.
 */
export async function startPlatform(options: PlatformOptions = {}): Promise<Platform> {
  const env = options.env ?? process.env;
  const ns = options.ns ?? env.MERIDIAN_NAMESPACE ?? 'dev';
  const gatewayPort = options.gatewayPort ?? Number(env.GATEWAY_PORT || 8080);
  const servicesDir = options.servicesDir ?? (env.MERIDIAN_SERVICES_DIR || join(repoRoot, 'services'));
  const print = options.print ?? ((line: string) => console.log(line));
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const logDir = join(dataDir(env), 'logs', ns);
  mkdirSync(logDir, { recursive: true });

  if (await portOpen('127.0.0.1', gatewayPort)) {
    throw new Error(`gateway port ${gatewayPort} is already in use (another platform running?): stop that, or set GATEWAY_PORT`);
  }
  const profile = options.profile ?? 'single';
  const instances = options.instances ?? (profile === 'cluster' ? 2 : 1);
  const infraLine = (line: string) => print(`[infra] ${line}`);
  const zipkinUrl = options.zipkin
    ? env.ZIPKIN_URL || `http://127.0.0.1:${options.zipkin.port === 'free' ? await freePort() : 9411}`
    : undefined;
  // Zipkin's JVM starts in the background: services export from their first span, and drop (counted) until it answers.
  const zipkinStarting = zipkinUrl
    ? settled(ensureZipkin({ url: zipkinUrl, dir: join(dataDir(env), ns === 'dev' ? 'zipkin' : `zipkin-${ns}`), log: infraLine }))
    : undefined;
  let infra: Infra;
  try {
    infra = await ensureInfra({ env, profile, log: infraLine });
  } catch (error) {
    await (await zipkinStarting)?.server?.stop();
    throw error;
  }
  const supervised: Supervised[] = [];
  /** What each backend service process is (gateway and web apps are not upgraded this way). */
  const serviceProcesses = new Map<Supervised, Omit<ServiceProcess, 'state'>>();
  const previousBuilds = new Map<string, ServiceBuild>();
  const sourceBuild = (name: string): ServiceBuild => ({ script: join(servicesDir, name, 'src', 'main.ts'), cwd: repoRoot });
  let launchProcess: ((name: string, instance: number, build?: ServiceBuild) => Supervised) | undefined;
  const apps: RunningWebApp[] = [];
  let prometheus: { url: string; started: boolean; stop(): Promise<void> } | undefined;
  let alertmanager: { url: string; started: boolean; stop(): Promise<void> } | undefined;
  // Alerting's addresses are known before the apps start (the ops console shows and silences alerts).
  const prometheusPort = options.prometheusPort === 0 ? await freePort() : options.prometheusPort;
  const prometheusUrl = prometheusPort === undefined ? undefined : env.PROMETHEUS_URL || `http://127.0.0.1:${prometheusPort}`;
  const alertmanagerUrl = options.prometheusPort === undefined
    ? undefined
    : env.ALERTMANAGER_URL || `http://127.0.0.1:${options.prometheusPort === 0 ? await freePort() : 9097}`;
  const alertsWebhookToken = randomBytes(24).toString('base64url');
  const staff = { email: env.STAFF_EMAIL || 'staff@meridian.local', password: env.STAFF_PASSWORD || 'staff-password' };
  const stop = async () => {
    const front = supervised.filter((s) => s.name === gatewayService || apps.some((app) => app.name === s.name));
    const others = supervised.filter((s) => !front.includes(s));
    // Prometheus first: scrapes of services shutting down would leave `up == 0` as the last sample, and
    // a restarted Prometheus would then fire InstanceDown for instances that stopped on purpose.
    await prometheus?.stop();
    await alertmanager?.stop();
    if (supervised.length > 0) print(`[platform] stopping ${[...front, ...others].map((s) => s.name).join(', ')}`);
    await Promise.all(front.map((s) => s.stop()));
    await Promise.all(others.map((s) => s.stop()));
    await (await zipkinStarting)?.server?.stop();
    await infra.stop();
  };

  try {
    const all = listServices(servicesDir, env);
    const runnable = all.filter((name) => {
      const ok = existsSync(join(servicesDir, name, 'src', 'main.ts'));
      if (!ok) print(`[platform] ⚠ skipping ${name}: ${displayPath(join(servicesDir, name, 'src', 'main.ts'))} does not exist`);
      return ok;
    });
    const startedAt = Date.now();
    const databaseUrls = await provision({ adminUrl: infra.env.PG_ADMIN_URL, ns, services: runnable, env });
    const kafkaLogins = await provisionKafka(infra, ns, servicesDir, runnable, options.webApps ? (await import('../apps/index.ts')).webApps : [], env, profile);
    print(`[platform] provisioned ${runnable.length} database(s)${kafkaLogins ? ` and ${Object.keys(kafkaLogins).length} Kafka user(s)` : ''} in namespace ${ns}`);
    options.signal?.throwIfAborted();

    const backends = runnable.filter((name) => name !== gatewayService);
    const width = Math.max(0, ...runnable.map((name) => name.length), options.webApps ? 'ops-console'.length : 0);
    const serviceEnv = (name: string): NodeJS.ProcessEnv => ({
      ...withoutCredentials({ ...env, ...infra.env }),
      ...(kafkaLogins?.[name] ? kafkaLoginEnv(kafkaLogins[name]) : {}),
      MERIDIAN_NAMESPACE: ns,
      SERVICE_NAME: name,
      DATABASE_URL: databaseUrls[name],
      GATEWAY_PORT: String(gatewayPort),
      GATEWAY_EXPECTED_SERVICES: backends.join(','),
      STAFF_EMAIL: staff.email,
      STAFF_PASSWORD: staff.password,
      ...(zipkinUrl ? { ZIPKIN_URL: zipkinUrl } : {}),
      ...(alertmanagerUrl ? { ALERTMANAGER_URL: alertmanagerUrl } : {}),
      ...(prometheusUrl ? { PROMETHEUS_URL: prometheusUrl } : {}),
      ...(profile === 'cluster' ? { KAFKA_REPLICATION_FACTOR: '3', KAFKA_MIN_INSYNC_REPLICAS: '2' } : {}),
    });
    // Instance 1 logs to <name>.log, further instances to <name>-<n>.log.
    launchProcess = (name: string, instance: number, build: ServiceBuild = sourceBuild(name)) => {
      const child = supervise({
        name,
        script: build.script,
        cwd: build.cwd,
        // A restarted instance keeps its slot, so its consumers take their partitions straight back (static membership).
        env: { ...serviceEnv(name), MERIDIAN_INSTANCE_SLOT: String(instance), ...(build.version ? { MERIDIAN_BUILD_VERSION: build.version } : {}) },
        logFile: join(logDir, instance === 1 ? `${name}.log` : `${name}-${instance}.log`),
        prefix: `[${instance === 1 ? name : `${name}#${instance}`}]`.padEnd(width + 4),
        rawLogs: options.rawLogs,
        print,
      });
      supervised.push(child);
      if (name !== gatewayService) serviceProcesses.set(child, { id: `${name}#${instance}`, service: name, slot: String(instance), build });
      return child;
    };
    const launch = (name: string, instance = 1) => launchProcess!(name, instance);
    const firstSlot = options.firstSlot ?? 1;
    for (let instance = firstSlot; instance < firstSlot + instances; instance++) backends.forEach((name) => launch(name, instance));
    if (instances > 1) print(`[platform] ${instances} instances of each service (profile ${profile})`);
    if (runnable.includes(gatewayService)) {
      launch(gatewayService);
      await waitForGateway({
        gatewayUrl, timeoutMs: options.readyTimeoutMs ?? 120_000, infra, ns, backends, logDir, supervised, signal: options.signal,
      });
      print(`[platform] gateway healthy at ${gatewayUrl} (${seconds(startedAt)})`);
    } else {
      print(`[platform] ⚠ no gateway service: nothing to wait for`);
    }
    if (options.webApps) {
      const { buildWebApps, webApps } = await import('../apps/index.ts');
      await buildWebApps(undefined, print);
      for (const app of webApps) {
        const port = options.webApps.ports === 'free' ? await freePort() : Number(env[`${app.urlEnv.replace('_URL', '')}_PORT`] || app.defaultPort);
        const url = `http://127.0.0.1:${port}`;
        if (await portOpen('127.0.0.1', port)) throw new Error(`${app.title} port ${port} is already in use`);
        supervised.push(supervise({
          name: app.name,
          script: app.script,
          cwd: repoRoot,
          env: webAppEnv(serviceEnv(app.name), {
            PORT: String(port),
            ...(app.name === 'ops-console' ? { ALERTMANAGER_WEBHOOK_TOKEN: alertsWebhookToken } : {}),
          }),
          logFile: join(logDir, `${app.name}.log`),
          prefix: `[${app.name}]`.padEnd(width + 4),
          rawLogs: options.rawLogs,
          print,
        }));
        apps.push({ name: app.name, title: app.title, url, urlEnv: app.urlEnv });
      }
      for (const app of apps) await waitForPage(app, logDir, options.signal);
      print(`[platform] web apps serving: ${apps.map((app) => `${app.title} ${app.url}`).join(', ')}`);
    }
    if (alertmanagerUrl) {
      const { ensureAlertmanager } = await import('../infra/alertmanager/alertmanager.ts');
      const opsConsole = apps.find((app) => app.name === 'ops-console');
      alertmanager = await ensureAlertmanager({
        url: alertmanagerUrl,
        dataDir: join(dataDir(env), ns === 'dev' ? 'alertmanager' : `alertmanager-${ns}`),
        webhook: opsConsole ? { url: `${opsConsole.url}/ops-api/alerts/notifications`, token: alertsWebhookToken } : undefined,
        env,
      });
      print(`[platform] alertmanager ${alertmanager.started ? 'started' : 'reused'} at ${alertmanager.url}`);
    }
    if (options.prometheusPort !== undefined) {
      const { ensurePrometheus } = await import('../infra/prometheus/prometheus.ts');
      prometheus = await ensurePrometheus({
        etcdEndpoints: infra.env.ETCD_ENDPOINTS.split(','),
        ns,
        dataDir: join(dataDir(env), ns === 'dev' ? 'prometheus' : `prometheus-${ns}`),
        port: prometheusPort,
        env,
        alertmanagerUrls: alertmanager ? [alertmanager.url] : [],
      });
      print(`[platform] prometheus ${prometheus.started ? 'started' : 'reused'} at ${prometheus.url}`);
    }
    const zipkin = await zipkinStarting;
    if (zipkin?.error) throw zipkin.error;
  } catch (error) {
    await stop();
    throw error;
  }
  const kill = (service: string, signal: NodeJS.Signals = 'SIGKILL', serviceEnv?: NodeJS.ProcessEnv) => {
    const target = supervised.find((s) => s.name === service);
    if (!target) throw new Error(`no service ${service} in this platform`);
    target.kill(signal, serviceEnv);
  };
  const describe = (child: Supervised): ServiceProcess => ({ ...serviceProcesses.get(child)!, state: child.state() });
  const processes = (service?: string): ServiceProcess[] => [...serviceProcesses]
    .filter(([, info]) => service === undefined || info.service === service)
    .map(([child]) => describe(child));
  const launchBuild = (service: string, build: ServiceBuild, count: number): ServiceProcess[] => {
    if (!launchProcess || !services.includes(service) || service === gatewayService) throw new Error(`no backend service ${service} in this platform`);
    const used = processes(service).map((p) => Number(p.slot)).filter(Number.isFinite);
    const first = Math.max(0, ...used) + 1;
    return Array.from({ length: count }, (_, i) => describe(launchProcess!(service, first + i, build)));
  };
  const retire = async (ids: string[], registeredAs?: string) => {
    const targets = [...serviceProcesses].filter(([, info]) => ids.includes(info.id));
    const unknown = ids.filter((id) => !targets.some(([, info]) => info.id === id));
    if (unknown.length > 0) throw new Error(`no running instance ${unknown.join(', ')}`);
    await Promise.all(targets.map(async ([child, info]) => {
      print(`[platform] retiring ${info.id}${info.build.version ? ` (${info.build.version})` : ''}`);
      await child.stop();
      supervised.splice(supervised.indexOf(child), 1);
      serviceProcesses.delete(child);
      previousBuilds.set(info.service, { ...info.build, version: info.build.version ?? registeredAs });
    }));
  };
  const services = supervised.map((s) => s.name);
  return {
    ns, gatewayUrl, infra, services, logDir, prometheusUrl: prometheus?.url, alertmanagerUrl: alertmanager?.url, staff, zipkinUrl, apps, kill, stop,
    instances: processes, launchBuild, retire, previousBuild: (service) => previousBuilds.get(service),
  };
}

/** A start that runs beside others: its outcome, kept until someone awaits it (never an unhandled rejection). */
function settled(starting: Promise<InfraServer>): Promise<{ server?: InfraServer; error?: Error }> {
  return starting.then((server) => ({ server }), (error: Error) => ({ error }));
}

/** A web app's env: a service's (its own Kafka login included) without a database, plus `extra`. */
function webAppEnv(serviceEnv: NodeJS.ProcessEnv, extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { DATABASE_URL: _none, ...rest } = serviceEnv;
  return { ...rest, ...extra };
}

/**
 * The Kafka login of every process the platform runs (`<ns>.<name>`, ACLs from its declarations), made
 * with the broker admin's login; undefined when the broker takes no logins (one run elsewhere without them).
 */
async function provisionKafka(
  infra: Infra, ns: string, servicesDir: string, services: string[], apps: Parameters<typeof platformKafkaNeeds>[2], env: NodeJS.ProcessEnv, profile: Profile,
): Promise<Record<string, KafkaCredentials> | undefined> {
  if (!infra.env.KAFKA_SASL_USERNAME) return undefined;
  const connection = kafkaConnection(infra.env.KAFKA_BROKERS, infra.env);
  const { needs, topics } = await platformKafkaNeeds(servicesDir, services, apps);
  // Every declared topic exists before anything starts: a service may create only the topics it owns.
  await ensureTopics({ brokers: connection, ns, topics, ...(profile === 'cluster' ? { replicationFactor: 3, minInsyncReplicas: 2 } : {}) });
  return provisionKafkaUsers({ connection, ns, needs, logsTopic, businessTopics: [...new Set(needs.flatMap((n) => n.produces))], env });
}

/**
 * `env` without any credential: the database superuser's URL, every `<SERVICE>_DATABASE_URL`,
 * `DATABASE_URL` and the Kafka admin's login (KAFKA_SASL_*). A service gets its own DATABASE_URL and
 * Kafka login on top of this, and nothing else; web apps keep
 * no database (they talk to the gateway).
 */
function withoutCredentials(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([key]) => key !== 'PG_ADMIN_URL' && !key.endsWith('DATABASE_URL') && !key.startsWith('KAFKA_SASL_')));
}

async function waitForPage(app: RunningWebApp, logDir: string, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    signal?.throwIfAborted();
    const answered = await fetch(app.url, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);
    if (answered) return;
    if (Date.now() > deadline) {
      throw new Error(`${app.title} did not answer at ${app.url} within 60 s; its log: ${displayPath(join(logDir, `${app.name}.log`))}`);
    }
    await sleep(250);
  }
}

async function waitForGateway(
  { gatewayUrl, timeoutMs, infra, ns, backends, logDir, supervised, signal }: {
    gatewayUrl: string; timeoutMs: number; infra: Infra; ns: string; backends: string[]; logDir: string;
    supervised: Supervised[]; signal?: AbortSignal;
  },
): Promise<void> {
  const startedAt = Date.now();
  while (!(await gatewayHealthy(gatewayUrl))) {
    signal?.throwIfAborted();
    const failed = supervised.filter((s) => s.state() === 'failed').map((s) => s.name);
    if (Date.now() - startedAt > timeoutMs || failed.includes(gatewayService)) {
      const ready = await readyInDiscovery(infra.env.ETCD_ENDPOINTS.split(',')[0], ns);
      const notReady = [...backends.filter((name) => !ready.has(name)), gatewayService];
      throw new Error(
        `platform not ready after ${seconds(startedAt)}: ` +
        `${gatewayUrl}/healthz is not 200.\nNot ready: ${notReady.join(', ')}` +
        (failed.length > 0 ? `\nGave up restarting: ${failed.join(', ')}` : '') +
        `\nTheir logs: ${notReady.map((name) => displayPath(join(logDir, `${name}.log`))).join(' ')}`,
      );
    }
    await sleep(500);
  }
}
