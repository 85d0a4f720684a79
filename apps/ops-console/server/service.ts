import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Type } from 'typebox';
import { splitList } from '@meridian/config';
import { problem } from '@meridian/http';
import type { ServiceDefinition } from '@meridian/service';
import { businessTopics } from '@meridian/contracts';
import { logsTopic, logsTopicSettings } from '@meridian/log';
import { createLiveFeed, type FeedMessage, type LiveFeed } from '../../shared/server/liveFeed.ts';
import { createEventStreams, createHub } from '../../shared/server/sse.ts';
import { webAppService } from '../../shared/server/webApp.ts';
import { registerAlertRoutes } from './alerts.ts';
import { registerDashboardRoutes } from './dashboards.ts';
import { createKafkaInspector } from './kafka.ts';
import { scrapeOutboxes } from './outbox.ts';
import { buildServiceMap, createKafkaSampler } from './serviceMap.ts';
import type { Replayed } from '../types.ts';

const defaultDistDir = fileURLToPath(new URL('../dist/', import.meta.url));
const recentLimit = 100;
/** Newest messages of each partition shown when a viewer opens the tail. */
const recentPerPartition = 5;

const ReplayBody = Type.Object(
  { topic: Type.String({ minLength: 1 }), partition: Type.Integer({ minimum: 0 }), offset: Type.String({ pattern: '^[0-9]+$' }) },
  { additionalProperties: false },
);

/**
 * The ops console's server (staff only): discovery's service map, Kafka topics and consumer lag,
 * outbox backlogs scraped from each instance, dead letters with replay, and a live event tail.
 */
export function opsConsoleService(options: { distDir?: string } = {}): ServiceDefinition {
  const tail = createHub<FeedMessage>();
  const recent: FeedMessage[] = [];
  /** Dead letters replayed by this instance: `topic/partition/offset` → where the copy went. */
  const replayed = new Map<string, Replayed>();
  const seen = new Set<string>(); // `topic/partition/offset` of the messages in `recent`
  let events: LiveFeed | undefined;
  let logLines: LiveFeed | undefined;

  return webAppService({
    name: 'ops-console',
    version: '1.0.0',
    description: 'Operational views of the Meridian platform (staff only)',
    defaultPort: 3002,
    distDir: options.distDir ?? defaultDistDir,
    configSchema: { ALERTMANAGER_WEBHOOK_TOKEN: Type.Optional(Type.String({ minLength: 16 })) },
    routes(app, ctx) {
      const ns = ctx.platform.MERIDIAN_NAMESPACE;
      const kafka = createKafkaInspector({ brokers: splitList(ctx.platform.KAFKA_BROKERS), ns });
      const streams = createEventStreams(app);
      const preHandler = ctx.auth.requireStaff;
      const base = { tags: ['ops'], security: [{ bearerAuth: [] }] };
      const kafkaFailed = (err: unknown) => {
        ctx.logger.warn({ err }, 'kafka inspection failed');
        return problem(503, 'kafka-unavailable', 'Kafka could not be inspected right now');
      };

      const zipkinUrl = ctx.platform.ZIPKIN_URL ?? null;
      app.get('/ops-api/config', {
        preHandler,
        schema: { ...base, summary: 'Where the observability tools are', description: 'Staff only. The Zipkin URL the console links traces to, when tracing runs.', response: { 200: Type.Object({ zipkinUrl: Type.Union([Type.String(), Type.Null()], { description: 'The Zipkin server receiving every span, if tracing runs' }) }) } },
      }, async () => ({ zipkinUrl }));

      registerDashboardRoutes(app, { prometheusUrl: ctx.platform.PROMETHEUS_URL, preHandler });
      registerAlertRoutes(app, {
        alertmanagerUrl: ctx.platform.ALERTMANAGER_URL,
        webhookToken: (ctx.config as { ALERTMANAGER_WEBHOOK_TOKEN?: string }).ALERTMANAGER_WEBHOOK_TOKEN,
        preHandler,
      });

      app.get('/ops-api/services', { preHandler, schema: { ...base, summary: 'Service instances from discovery', description: 'Staff only. Every instance registered in etcd: service, version, URL, health, API versions and the Kafka topics and groups it declares.' } }, async () => {
        const byService = new Map<string, unknown[]>();
        for (const i of ctx.resolver.instances()) {
          const { service, instanceId, version, url, health, apiVersions, startedAt } = i;
          byService.set(service, [...(byService.get(service) ?? []), { instanceId, version, url, health, apiVersions, startedAt }]);
        }
        const services = [...byService].sort(([a], [b]) => a.localeCompare(b)).map(([service, instances]) => ({ service, instances }));
        return { namespace: ns, services };
      });

      const sampler = createKafkaSampler(() => kafka.overview());
      app.get('/ops-api/service-map', { preHandler, schema: { ...base, summary: 'Services, topics and consumer groups as a graph, with rates and lag', description: 'Staff only. Nodes and edges built from the discovery records and Kafka offsets sampled twice, a few seconds apart.' } }, async () => {
        const kafkaSample = await sampler.sample().catch((err: Error) => {
          ctx.logger.warn({ err }, 'kafka inspection failed');
          return { error: err.message };
        });
        return buildServiceMap({
          ns,
          instances: ctx.resolver.instances(),
          declarations: [...businessTopics, { ...logsTopicSettings, owner: 'logging' }],
          logsTopic,
          ...('error' in kafkaSample ? { kafkaError: kafkaSample.error } : kafkaSample),
        });
      });

      app.get('/ops-api/outbox', { preHandler, schema: { ...base, summary: 'Outbox backlog per service instance', description: 'Staff only. Unpublished outbox rows and the age of the oldest, from each instance\'s metrics.' } }, async () => ({
        items: (await scrapeOutboxes(ctx.resolver.instances())).sort((a, b) => a.service.localeCompare(b.service)),
      }));

      app.get('/ops-api/kafka', { preHandler, schema: { ...base, summary: 'Topics and consumer-group lag', description: 'Staff only. Partitions and end offsets of each topic, and each consumer group\'s lag, from Kafka\'s admin API.' } }, () =>
        kafka.overview().catch((err) => Promise.reject(kafkaFailed(err))),
      );

      app.get('/ops-api/dead-letters', { preHandler, schema: { ...base, summary: 'Newest messages of every dead-letter topic', description: 'Staff only. What was dead-lettered, with the reason header, the original topic and offset, newest first.' } }, async () => {
        const items = await kafka.deadLetters().catch((err) => Promise.reject(kafkaFailed(err)));
        return { items: items.map((item) => ({ ...item, replayed: replayed.get(`${item.topic}/${item.partition}/${item.offset}`) })) };
      });

      app.post(
        '/ops-api/dead-letters/replay',
        { preHandler, schema: { ...base, summary: 'Republish a dead letter to its original topic', description: 'Staff only. Publishes the dead-lettered message again, unchanged, to the topic it came from; idempotent consumers ignore a copy they already processed.', body: ReplayBody } },
        async (request) => {
          const { topic, partition, offset } = request.body;
          try {
            const written = await kafka.replay(topic, partition, offset);
            const record = { at: new Date().toISOString(), ...written };
            replayed.set(`${topic}/${partition}/${offset}`, record);
            ctx.logger.info({ from: { topic, partition, offset }, to: written, by: request.user?.email }, 'dead letter replayed');
            return record;
          } catch (err) {
            if (err instanceof RangeError) throw problem(400, 'not-a-dead-letter-topic', err.message);
            ctx.logger.warn({ err, topic, partition, offset }, 'replay failed');
            throw problem(502, 'replay-failed', `Could not replay ${topic}/${partition}/${offset}: ${(err as Error).message}`);
          }
        },
      );

      app.get(
        '/ops-api/tail',
        {
          preHandler,
          schema: {
            ...base,
            summary: 'Server-sent events: every business event as it is published, and log lines when asked for', description: 'Staff only. `event` for each business event on the namespace\'s topics; with logs=true also `log` for each shipped log line. Kafka is followed only while someone watches.',
            querystring: Type.Object(
              { logs: Type.Optional(Type.Boolean({ default: false, description: "Also stream the platform's log lines (platform.logs)" })) },
              { additionalProperties: false },
            ),
          },
        },
        async (request, reply) => {
          // Kafka is followed only while somebody watches; the newest events of each partition come first.
          const withLogs = request.query.logs === true;
          const releases = await Promise.all([events!.acquire(), ...(withLogs ? [logLines!.acquire()] : [])]);
          const stream = streams.open(reply);
          for (const release of releases) stream.onClose(release);
          for (const message of recent) stream.send('event', message);
          stream.onClose(tail.subscribe('business', (message) => stream.send('event', message)));
          if (withLogs) stream.onClose(tail.subscribe('logs', (message) => stream.send('log', message)));
        },
      );
    },
    onStart(ctx) {
      const ns = ctx.platform.MERIDIAN_NAMESPACE;
      const brokers = splitList(ctx.platform.KAFKA_BROKERS);
      events = createLiveFeed({
        brokers,
        topics: businessTopics.map((topic) => `${ns}.${topic.name}`),
        groupId: `${ns}.ops-console.tail.${randomUUID()}`,
        logger: ctx.logger,
        backlog: recentPerPartition,
        onMessage(message) {
          const key = `${message.topic}/${message.partition}/${message.offset}`;
          if (seen.has(key)) return; // read again when following restarted
          seen.add(key);
          recent.push(message);
          if (recent.length > recentLimit) {
            const oldest = recent.shift()!;
            seen.delete(`${oldest.topic}/${oldest.partition}/${oldest.offset}`);
          }
          tail.publish('business', message);
        },
      });
      // Log lines are many and mostly noise next to the business flow: followed only for a viewer who asked.
      logLines = createLiveFeed({
        brokers,
        topics: [`${ns}.${logsTopic}`],
        groupId: `${ns}.ops-console.tail-logs.${randomUUID()}`,
        logger: ctx.logger,
        lingerMs: 5_000,
        onMessage: (message) => tail.publish('logs', message),
      });
    },
    async onStop() {
      await Promise.all([events?.stop(), logLines?.stop()]);
    },
  });
}
