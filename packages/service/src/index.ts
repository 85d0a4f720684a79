import { randomUUID } from 'node:crypto';
import { Type } from 'typebox';
import type { Static, TObject, TProperties } from 'typebox';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { createAuthVerifier } from '@meridian/auth';
import type { AuthVerifier } from '@meridian/auth';
import { createCache, createRedisClient } from '@meridian/cache';
import type { Cache } from '@meridian/cache';
import { ConfigError, loadConfig, platformConfig, splitList } from '@meridian/config';
import type { PlatformConfig } from '@meridian/config';
import { createDb, dbReady, migrate, vacuumWithoutAutovacuum } from '@meridian/db';
import type { Sql } from '@meridian/db';
import { createResolver, createServiceClient, register } from '@meridian/discovery';
import type { InstanceHealth, InstanceMessaging, Registration, Resolver, ServiceClient } from '@meridian/discovery';
import { createHttpServer, gaugeOf, metricsRegistry } from '@meridian/http';
import type { App } from '@meridian/http';
import { createKafkaLogShipper, createLogger, logShippingEnabled, logsTopic, logsTopicSettings } from '@meridian/log';
import type { Logger } from '@meridian/log';
import { asyncApiDocument, consumerPlan, createConsumer, createOutbox, createOutboxRelay, outboxOf, preparedEvent, pruneMessaging, createVersionGate, defineTopic, ensureTopics, messagingMigrations, topicDescriptorsOf, topicsOf, versionNumbers, type VersionGate } from '@meridian/messaging';
import type { AsyncApiDocument, EventConsumer, EventDescriptor, Outbox, OutboxRelay, Subscription, TopicDefinition } from '@meridian/messaging';
import { initTelemetry } from '@meridian/telemetry';
import { type JobDef, type RunningJobs, startJobs } from './jobs.ts';

export type { JobDef } from './jobs.ts';

type PlatformProperties = typeof platformConfig;
export type ServiceConfig<P extends TProperties> = Static<TObject<PlatformProperties & P>>;

/**
 * One Kafka consumer group of the service: `<ns>.<service>.<name>`. It subscribes to the topics of
 * the events it handles: `{ name: 'saga', on: [on(StockReserved, handle), ...] }`.
 */
export interface ConsumerDef {
  name: string;
  on: Subscription[];
  maxAttempts?: number;
  backoffMs?: number;
  /**
   * Most consecutive messages of a partition handled in one transaction (default 50). A consumer whose
   * handlers lock rows that many messages share (stock of a popular product) takes 1: a batch holds the
   * locks of all its messages until it commits, so batches of different partitions wait on each other.
   */
  batchSize?: number;
}

export interface ServiceContext<P extends TProperties = TProperties> {
  name: string;
  version: string;
  instanceId: string;
  config: ServiceConfig<P>;
  /** The platform part of `config` (namespace, brokers, endpoints), typed for generic code. */
  platform: PlatformConfig;
  logger: Logger;
  /** The service's database pool (needs `DATABASE_URL`). */
  sql: Sql;
  /** Adds events to the outbox inside the caller's transaction. */
  outbox: Outbox;
  /** Only with `redis: true`. */
  redis: Redis | undefined;
  /** Cache on `redis`, keys prefixed `<ns>:<service>:`; only with `redis: true`. */
  cache: Cache | undefined;
  resolver: Resolver;
  serviceClient(name: string): ServiceClient;
  /** Verifies access tokens against identity's JWKS (fetched through discovery on first use). */
  auth: AuthVerifier;
  metrics: Registry;
}

export interface ServiceDefinition<P extends TProperties = TProperties> {
  name: string;
  version: string;
  /** The service's own env variables (properties, or a TypeBox object), merged with `platformConfig`. */
  configSchema?: P | TObject<P>;
  /**
   * The service's own `NNN_name.sql` migrations; when set, `DATABASE_URL` is required and the chassis
   * tables (outbox, processed_messages) are migrated first.
   */
  migrationsDir?: string;
  /** The events this service publishes (through `ctx.outbox`, which refuses any other). */
  produces?: EventDescriptor[];
  /**
   * The events its consumers handle: each needs exactly one `on(...)` in `consumers`, checked at start.
   * With `produces`, a static description of the service (topics created when missing, discovery's
   * record, Kafka ACLs, the AsyncAPI document) that needs no running instance.
   */
  consumes?: EventDescriptor[];
  /** Further topics to create when missing (e.g. one a service consumes by itself). */
  topics?: TopicDefinition[];
  consumers?: (ctx: ServiceContext<P>) => ConsumerDef[];
  routes: (app: App, ctx: ServiceContext<P>) => void | Promise<void>;
  /** Published in the discovery record; default `['v1']`. */
  apiVersions?: string[];
  openapi?: { title?: string; description?: string };
  /** Runs once routes and consumers are in place, before the server listens. */
  onStart?: (ctx: ServiceContext<P>) => void | Promise<void>;
  /** Periodic work (sweepers, retention): started with the consumers, stopped right after the HTTP server. */
  jobs?: (ctx: ServiceContext<P>) => JobDef[];
  /** Runs after the HTTP server drained, before consumers, relay and pools stop. */
  onStop?: (ctx: ServiceContext<P>) => void | Promise<void>;
  /** Connect to Redis and provide `ctx.redis` / `ctx.cache`. */
  redis?: boolean;
  /** Run the outbox relay; default: when the database has an `outbox` table. */
  relay?: boolean;
  /**
   * Consumer groups the service runs by itself rather than through `consumers` (group
   * `<ns>.<service>.<name>`): announced in discovery with the others, so maps of the platform show them.
   */
  ownConsumers?: { name: string; topics: string[] }[];
}

export interface RunningService<P extends TProperties = TProperties> {
  /** Base URL the server listens on (and registered in discovery). */
  url: string;
  app: App;
  ctx: ServiceContext<P>;
  /** Ordered graceful shutdown; safe to call more than once. */
  stop(): Promise<void>;
}

/**
 * Readiness runs and its result goes to discovery this often while the instance is ready and its last
 * run passed: each run wakes the process and its database (0.8 ms of CPU per second per idle service at
 * 1 s, measured: docs/benchmarks.md, session 11).
 */
const readySyncMs = 5000;
/** ...and this often while it starts or after a failed run, so a failure is confirmed or cleared quickly. */
const readinessSyncMs = 1000;

/** Seconds since this process started (not since this module loaded: Node's own start counts). */
const sinceProcessStart = () => process.uptime();
/**
 * Consecutive failed readiness runs before a ready instance is taken out of rotation: one slow
 * probe on a busy machine is load, not a broken instance (readiness is not a load signal).
 */
const failedRunsToLeave = 3;

/**
 * A service with a database: its URL, and the retention of the chassis tables (pruned hourly): published
 * events, and the inbox, which must outlive the retention of every topic read (7 days) so that no
 * redelivered message runs twice.
 */
const databaseConfig = {
  DATABASE_URL: Type.String({ minLength: 1 }),
  OUTBOX_RETENTION_HOURS: Type.Integer({ default: 72, minimum: 1 }),
  INBOX_RETENTION_DAYS: Type.Integer({ default: 14, minimum: 8 }),
};
type RetentionConfig = { OUTBOX_RETENTION_HOURS: number; INBOX_RETENTION_DAYS: number };

function configSchemaFor<P extends TProperties>(def: ServiceDefinition<P>): TObject {
  const own = def.configSchema ? (Type.IsObject(def.configSchema) ? def.configSchema.properties : def.configSchema) : {};
  return Type.Object({ ...platformConfig, ...own, ...(def.migrationsDir ? databaseConfig : {}) });
}

/**
 * Starts the service in this process (no signal handlers): config, logger, telemetry, database +
 * migrations, topics, Redis, discovery, outbox relay, HTTP server and its registration, then the
 * consumers. Throws (after undoing what it started) when any step fails.
 */
export async function startService<P extends TProperties>(
  def: ServiceDefinition<P>,
  envOverrides: Record<string, string | undefined> = {},
): Promise<RunningService<P>> {
  const env = { ...process.env, ...envOverrides };
  // One object, seen through two types: TypeScript cannot resolve the platform part through the generic `P`.
  const loaded = loadConfig(configSchemaFor(def), env, { name: def.name });
  const config = loaded as ServiceConfig<P>;
  const platform = loaded as PlatformConfig;
  const instanceId = randomUUID();
  const version = platform.MERIDIAN_BUILD_VERSION ?? def.version;
  const ns = platform.MERIDIAN_NAMESPACE;
  const etcdEndpoints = splitList(platform.ETCD_ENDPOINTS);
  // Log lines also go to Kafka (`<ns>.platform.logs`) for the logging service, unless LOG_SHIPPING says otherwise.
  const shipper = logShippingEnabled(def.name, env)
    ? createKafkaLogShipper({ brokers: platform.KAFKA_BROKERS, ns, service: def.name })
    : undefined;
  const logger = createLogger({ service: def.name, version, instance: instanceId, level: platform.LOG_LEVEL, shipper });
  initTelemetry({ service: def.name, version, instance: instanceId, otlpEndpoint: platform.OTEL_EXPORTER_OTLP_ENDPOINT,
    zipkinUrl: platform.ZIPKIN_URL });

  let sql: Sql | undefined;
  /** One connection of its own for readiness: a probe queued behind busy pool connections would measure load. */
  let probeSql: Sql | undefined;
  let redis: Redis | undefined;
  let resolver: Resolver | undefined;
  let relay: OutboxRelay | undefined;
  const consumers: EventConsumer[] = [];
  let jobs: RunningJobs | undefined;
  let app: App | undefined;
  let started = false;
  let registration: Registration | undefined;
  let healthSync: NodeJS.Timeout | undefined;
  let syncing: Promise<void> = Promise.resolve();
  let stopping: Promise<void> | undefined;

  /** Per event type, the versions this instance's outbox wrote: advertised in discovery (a consumer's upgrade must read them). */
  const emits: Record<string, number[]> = {};
  let messaging: InstanceMessaging | undefined;
  function noteEmitted(type: string, version: number): void {
    if (emits[type]?.includes(version)) return;
    emits[type] = [...(emits[type] ?? []), version].sort((a, b) => a - b);
    if (registration && messaging) {
      registration.update({ messaging: { ...messaging, emits: { ...emits } } }).catch((err) => logger.warn({ err }, 'discovery: could not advertise an emitted event version'));
    }
  }

  const serviceClients = new Map<string, ServiceClient>();
  const ctx: ServiceContext<P> = {
    name: def.name,
    version,
    instanceId,
    config,
    platform,
    logger,
    get sql(): Sql {
      if (!sql) throw new ConfigError(def.name, [{ variable: 'DATABASE_URL', reason: 'is required to use ctx.sql' }]);
      return sql;
    },
    outbox: declaredOutbox(def.name, def.produces ?? [], createOutbox({ source: def.name, ns, versionGate: eventVersionGate(() => resolver, logger) }), noteEmitted),
    get redis() {
      return redis;
    },
    cache: undefined,
    get resolver(): Resolver {
      if (!resolver) throw new Error('resolver not started yet');
      return resolver;
    },
    serviceClient(name) {
      let client = serviceClients.get(name);
      if (!client) serviceClients.set(name, (client = createServiceClient(ctx.resolver, name)));
      return client;
    },
    auth: createAuthVerifier({
      getJwks: async () => {
        const response = await ctx.serviceClient('identity').request('/.well-known/jwks.json');
        if (!response.ok) throw new Error(`identity JWKS answered ${response.status}`);
        return response.json();
      },
    }),
    metrics: metricsRegistry,
  };

  async function step(name: string, fn: () => unknown): Promise<void> {
    try {
      await fn();
    } catch (err) {
      logger.error({ err, step: name }, 'shutdown step failed');
    }
  }

  async function shutdown(): Promise<void> {
    logger.info('shutting down');
    clearTimeout(healthSync);
    await syncing;
    await step('deregister', () => registration?.deregister());
    app?.readiness.drain();
    await step('http', () => app?.close());
    await step('jobs', () => jobs?.stop());
    if (started) await step('onStop', () => def.onStop?.(ctx));
    await step('consumers', () => Promise.all(consumers.map((consumer) => consumer.stop())));
    await step('relay', () => relay?.stop());
    await step('resolver', () => resolver?.stop());
    await step('redis', () => redis?.quit().catch(() => redis?.disconnect()));
    await step('db', () => Promise.all([sql?.end({ timeout: 5 }), probeSql?.end({ timeout: 1 })]));
    logger.info('stopped');
    await shipper?.close();
  }
  const stop = () => (stopping ??= shutdown());

  try {
    if (platform.DATABASE_URL) {
      sql = createDb(platform.DATABASE_URL, { applicationName: `${def.name}-${instanceId.slice(0, 8)}`, logger });
      if (def.migrationsDir) await migrate(sql, [messagingMigrations, def.migrationsDir], logger);
    }
    // The log topic too when this service ships its logs: lines sent before it exists would be dropped.
    const topicsToEnsure = [
      ...topicDescriptorsOf([...(def.produces ?? []), ...(def.consumes ?? [])]),
      ...(def.topics ?? []),
      ...(shipper ? [defineTopic(logsTopicSettings)] : []),
    ];
    if (topicsToEnsure.length) {
      const created = await ensureTopics({ brokers: platform.KAFKA_BROKERS, ns, topics: topicsToEnsure });
      if (created.length) logger.info({ topics: created }, 'topics created');
    }
    if (def.redis) {
      redis = createRedisClient(platform.REDIS_URL, logger);
      ctx.cache = createCache({ redis, prefix: `${ns}:${def.name}`, defaultTtlSeconds: 60, logger });
    }
    const discovery = createResolver({ endpoints: etcdEndpoints, ns, logger });
    await discovery.start();
    resolver = discovery;

    const withOutbox = sql ? await hasOutbox(sql) : false;
    if (sql && (def.relay ?? withOutbox)) {
      relay = createOutboxRelay({ sql, brokers: platform.KAFKA_BROKERS, ns, logger });
      await relay.start();
    }
    // Built once Redis and the database are there: handlers may capture `ctx.cache` or `ctx.sql`.
    const consumerDefs = def.consumers?.(ctx) ?? [];
    assertConsumesDeclared(def, consumerDefs);

    const server = await createHttpServer({ name: def.name, version, logger, openapi: def.openapi });
    app = server;
    if (platform.DATABASE_URL) {
      const probe = createDb(platform.DATABASE_URL, { max: 1, idleTimeoutSeconds: 0, applicationName: `${def.name}-${instanceId.slice(0, 8)}-probe`, logger });
      probeSql = probe;
      server.readiness.add('database', () => dbReady(probe));
    }
    await def.routes(server, ctx);
    const events = eventsDocument(def);
    server.get('/asyncapi.json', { schema: { hide: true } }, async () => events);
    await def.onStart?.(ctx);
    started = true;
    const url = await server.listen({ host: platform.HOST, port: platform.PORT });

    let health: InstanceHealth = 'starting';
    messaging = {
      produces: [...topicsOf(def.produces ?? []), ...(shipper ? [logsTopic] : [])],
      consumes: [
        ...consumerDefs.map((c) => ({ group: `${ns}.${def.name}.${c.name}`, topics: topicsOf(c.on.map((s) => s.event)), accepts: acceptedVersions(c.on) })),
        ...(def.ownConsumers ?? []).map((c) => ({ group: `${ns}.${def.name}.${c.name}`, topics: c.topics })),
      ],
    };
    registration = await register({
      endpoints: etcdEndpoints,
      ns,
      logger,
      instance: {
        service: def.name,
        version,
        instanceId,
        url,
        apiVersions: def.apiVersions ?? ['v1'],
        health,
        startedAt: new Date().toISOString(),
        messaging: { ...messaging, emits: { ...emits } },
      },
    });
    let failedRuns = 0;
    const syncHealth = async () => {
      const ready = (await server.readiness.run()).status === 'ready';
      failedRuns = ready ? 0 : failedRuns + 1;
      const wanted: InstanceHealth = ready || (health === 'ready' && failedRuns < failedRunsToLeave) ? 'ready' : 'starting';
      if (wanted === health || stopping) return;
      await registration?.setHealth(wanted);
      health = wanted;
      logger.info({ health }, 'discovery health updated');
    };
    await syncHealth();
    const startSeconds = gaugeOf(metricsRegistry, 'service_start_seconds', 'Seconds from process start until the instance served HTTP (registered in discovery), and until its consumers had joined their groups', ['phase']);
    const servingAfter = sinceProcessStart();
    startSeconds.set({ phase: 'serving' }, servingAfter);
    logger.info({ url, sinceProcessStartMs: Math.round(servingAfter * 1000) }, 'serving HTTP and registered');
    const scheduleHealthSync = () => {
      if (stopping) return;
      healthSync = setTimeout(() => {
        syncing = syncing.then(syncHealth).catch((err) => logger.warn({ err }, 'discovery health sync failed')).then(scheduleHealthSync);
      }, health === 'ready' && failedRuns === 0 ? readySyncMs : readinessSyncMs);
      healthSync.unref();
    };
    scheduleHealthSync();

    // Consumers join their groups once the instance serves HTTP: after a crash, a join waits out the
    // dead member's session (~10 s), and no route needs a consumer to answer.
    for (const consumer of consumerDefs) {
      const running = createConsumer({
        sql: ctx.sql,
        brokers: platform.KAFKA_BROKERS,
        ns,
        groupId: `${def.name}.${consumer.name}`,
        instanceSlot: platform.MERIDIAN_INSTANCE_SLOT,
        ...consumerPlan(consumer.on),
        logger,
        maxAttempts: consumer.maxAttempts,
        backoffMs: consumer.backoffMs,
        batchSize: consumer.batchSize,
      });
      consumers.push(running);
      await running.start();
    }

    const jobDefs = [
      ...(def.jobs?.(ctx) ?? []),
      ...(sql && withOutbox ? [messagingRetentionJob(sql, loaded as RetentionConfig, logger)] : []),
      ...(sql ? [tableMaintenanceJob(sql, logger)] : []),
    ];
    if (jobDefs.length) jobs = startJobs(jobDefs, { service: def.name, sql: () => ctx.sql, logger, metrics: ctx.metrics });

    const consumingAfter = sinceProcessStart();
    startSeconds.set({ phase: 'consuming' }, consumingAfter);
    logger.info({ url, ns, sinceProcessStartMs: Math.round(consumingAfter * 1000) }, 'service started');
    return { url, app: server, ctx, stop };
  } catch (err) {
    logger.error({ err }, 'service failed to start');
    await stop();
    throw err;
  }
}

/** The AsyncAPI document of a service's own events (`/asyncapi.json`; the gateway merges them into one). */
export function eventsDocument(def: { name: string; version: string; produces?: EventDescriptor[]; consumes?: EventDescriptor[] }): AsyncApiDocument {
  return asyncApiDocument({
    title: `${def.name} events`,
    version: def.version,
    participants: [{ name: def.name, produces: def.produces ?? [], consumes: def.consumes ?? [] }],
  });
}

/** Every handled event is declared in `consumes`, and every declared one is handled. */
function assertConsumesDeclared(def: { name: string; consumes?: EventDescriptor[] }, consumers: ConsumerDef[]): void {
  const declared = new Set((def.consumes ?? []).map((e) => e.type));
  const handled = consumers.flatMap((c) => c.on.map((s) => s.event.type));
  const problems = [
    ...handled.filter((type) => !declared.has(type)).map((type) => `${type} is handled but not declared in \`consumes\``),
    ...[...declared].filter((type) => !handled.includes(type)).map((type) => `${type} is declared in \`consumes\` but no consumer handles it`),
  ];
  if (problems.length) throw new Error(`Service ${def.name}: ${problems.join('; ')}`);
}

/** Per event type a consumer handles, the versions its build reads (advertised in discovery). */
function acceptedVersions(subscriptions: readonly { event: EventDescriptor }[]): Record<string, number[]> {
  return Object.fromEntries(subscriptions.map(({ event }) => [event.type, versionNumbers(event.versions)]));
}

/** The outbox's version gate, fed by discovery's view of every running consumer (none known before it starts). */
function eventVersionGate(resolver: () => Resolver | undefined, logger: Logger): VersionGate {
  return createVersionGate(
    () => (resolver()?.instances() ?? []).flatMap((instance) => instance.messaging?.consumes ?? []),
    (type, wanted, choice) =>
      choice.version === wanted
        ? logger.info({ event: type, version: wanted }, 'emitting the newest event version again: every consumer reads it')
        : logger.info({ event: type, version: choice.version, wanted, heldBackBy: choice.heldBackBy }, 'emitting an older event version: a running consumer does not read the newer one'),
  );
}

/**
 * The outbox of a service that publishes only what it declared in `produces`, so discovery's map stays
 * true; `emitted` hears the type and version of each event written.
 */
function declaredOutbox(service: string, produces: EventDescriptor[], outbox: Outbox, emitted: (type: string, version: number) => void): Outbox {
  const declared = new Set(produces.map((e) => e.type));
  const prepare: Outbox['prepare'] = (event, key, data, options) => {
    if (!declared.has(event.type)) {
      throw new Error(`${service} publishes ${event.type} but does not declare it: add it to the service definition's \`produces\``);
    }
    const prepared = outbox.prepare(event, key, data, options);
    return preparedEvent(prepared.envelope, prepared.row, () => {
      prepared.afterWrite?.();
      emitted(prepared.envelope.type, prepared.envelope.version);
    });
  };
  return outboxOf(prepare);
}

/** Prunes published outbox events and old inbox entries every hour, on one instance at a time. */
function messagingRetentionJob(sql: Sql, config: RetentionConfig, logger: Logger): JobDef {
  return {
    name: 'messaging-retention',
    everyMs: 60 * 60 * 1000,
    runAtStart: true,
    singleton: true,
    async run(signal) {
      const outboxMs = config.OUTBOX_RETENTION_HOURS * 3_600_000;
      const inboxMs = config.INBOX_RETENTION_DAYS * 86_400_000;
      const deleted = await pruneMessaging(sql, { outboxMs, inboxMs, signal });
      if (deleted.outbox + deleted.inbox > 0) {
        logger.info({ ...deleted, outboxRetentionHours: config.OUTBOX_RETENTION_HOURS, inboxRetentionDays: config.INBOX_RETENTION_DAYS }, 'published events and inbox entries past retention deleted');
      }
    },
  };
}

/**
 * On a server whose autovacuum is off, vacuums and analyzes the service's tables past 10,000 rows that
 * changed by a tenth since, every 15 minutes on one instance at a time (with autovacuum on, a run is one
 * `current_setting`).
 */
function tableMaintenanceJob(sql: Sql, logger: Logger): JobDef {
  let told = false;
  return {
    name: 'table-maintenance',
    everyMs: 15 * 60 * 1000,
    runAtStart: true,
    singleton: true,
    async run(signal) {
      const started = performance.now();
      const vacuumed = await vacuumWithoutAutovacuum(sql, { signal });
      if (vacuumed.length === 0 || told) return;
      told = true;
      logger.info({ tables: vacuumed.length, durationMs: Math.round(performance.now() - started), everyMinutes: 15 },
        'the database server runs without autovacuum: this service vacuums and analyzes its own tables');
    },
  };
}

async function hasOutbox(sql: Sql): Promise<boolean> {
  const [row] = await sql<{ exists: boolean }[]>`select to_regclass('outbox') is not null as exists`;
  return row.exists;
}

/**
 * The process entry point of a service: starts it, and on SIGINT/SIGTERM shuts it down in order
 * and exits 0 (1 if it cannot start).
 */
export async function runService<P extends TProperties>(def: ServiceDefinition<P>): Promise<RunningService<P>> {
  let running: RunningService<P>;
  try {
    running = await startService(def);
  } catch (err) {
    if (err instanceof ConfigError) console.error(err.message);
    process.exit(1);
  }
  const telemetry = initTelemetry({ service: def.name, version: running.ctx.version });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      running.ctx.logger.info({ signal }, 'signal received');
      running
        .stop()
        .then(() => telemetry.shutdown())
        .then(
          () => process.exit(0),
          () => process.exit(1),
        );
    });
  }
  return running;
}
