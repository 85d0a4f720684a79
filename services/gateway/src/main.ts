import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Type } from 'typebox';
import { loadConfig, platformConfig, splitList } from '@meridian/config';
import { createResolver, register } from '@meridian/discovery';
import { createKafkaLogShipper, createLogger, logShippingEnabled, logsTopic, logsTopicSettings } from '@meridian/log';
import { defineTopic, ensureTopics } from '@meridian/messaging';
import { initTelemetry } from '@meridian/telemetry';
import { buildGateway } from './gateway.ts';
import { defaultExpectedServices } from './routes.ts';
import { watchTrafficSplits } from './versions.ts';

const config = loadConfig(
  Type.Object({
    ...platformConfig,
    GATEWAY_PORT: Type.Integer({ default: 8080, minimum: 0, maximum: 65535 }),
    GATEWAY_EXPECTED_SERVICES: Type.String({ default: defaultExpectedServices.join(',') }),
    GATEWAY_UPSTREAM_TIMEOUT_MS: Type.Integer({ default: 30_000, minimum: 1 }),
    // The services' own body limit (@meridian/http): bigger bodies get a clean 413 here, not a 502 mid-upload.
    GATEWAY_BODY_LIMIT_BYTES: Type.Integer({ default: 1024 * 1024, minimum: 1 }),
    // Requests in flight to one service beyond which the gateway answers 503 + Retry-After at once.
    GATEWAY_MAX_IN_FLIGHT_PER_SERVICE: Type.Integer({ default: 512, minimum: 1 }),
  }),
  process.env,
  { name: 'gateway' },
);
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
const instanceId = randomUUID();
const ns = config.MERIDIAN_NAMESPACE;
const endpoints = splitList(config.ETCD_ENDPOINTS);
const shipper = logShippingEnabled('gateway') ? createKafkaLogShipper({ brokers: config.KAFKA_BROKERS, ns, service: 'gateway' }) : undefined;
const logger = createLogger({ service: 'gateway', version, instance: instanceId, level: config.LOG_LEVEL, shipper });
const telemetry = initTelemetry({ service: 'gateway', version, instance: instanceId, otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
  zipkinUrl: config.ZIPKIN_URL });

// Lines shipped before the log topic exists would be dropped: make sure it does.
if (shipper) await ensureTopics({ brokers: config.KAFKA_BROKERS, ns, topics: [defineTopic(logsTopicSettings)] });

const resolver = createResolver({ endpoints, ns, logger });
await resolver.start();
// Canary shares between versions running side by side (`npm run traffic`), followed live.
const splits = watchTrafficSplits({ endpoints, ns, logger });
await splits.start();
const app = buildGateway({
  resolver,
  splits: splits.current,
  logger,
  expectedServices: splitList(config.GATEWAY_EXPECTED_SERVICES),
  upstreamTimeoutMs: config.GATEWAY_UPSTREAM_TIMEOUT_MS,
  bodyLimit: config.GATEWAY_BODY_LIMIT_BYTES,
  maxInFlightPerService: config.GATEWAY_MAX_IN_FLIGHT_PER_SERVICE,
});
const url = await app.listen({ host: config.HOST, port: config.GATEWAY_PORT });
const registration = await register({
  endpoints,
  ns,
  logger,
  instance: { service: 'gateway', version, instanceId, url, apiVersions: ['v1', 'v2'], health: 'ready', startedAt: new Date().toISOString(),
    messaging: { produces: shipper ? [logsTopic] : [], consumes: [] } },
});
logger.info({ url, ns }, 'gateway listening');

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'gateway shutting down');
  await registration.deregister();
  await app.close();
  await resolver.stop();
  await splits.stop();
  await telemetry.shutdown();
  await shipper?.close();
}
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    shutdown(signal).then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'gateway shutdown failed');
        process.exit(1);
      },
    );
  });
}
