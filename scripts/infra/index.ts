import { join } from 'node:path';
import { dataDir } from '../lib/paths.ts';
import { ensureEtcd } from './etcd.ts';
import { ensureKafka, kafkaAnswers } from './kafka.ts';
import { ensurePostgres } from './postgres.ts';
import { ensureRedis } from './redis.ts';
import { infraLog, reusedServer, type InfraServer } from './server.ts';
import { waitUntilReady } from '../lib/proc.ts';
import { kafkaLoginEnv, type KafkaLoginVariables } from '@meridian/config';
import { readAdminCredentials, type KafkaCredentials } from '../../infra/kafka/security.ts';

export type { InfraServer } from './server.ts';

/** Infrastructure addresses, as env for every process (see docs/design.md). */
export interface InfraEnv {
  KAFKA_BROKERS: string;
  PG_ADMIN_URL: string;
  REDIS_URL: string;
  ETCD_ENDPOINTS: string;
  /** The Kafka admin's login (the broker's super-user): for provisioning and tests, never for a service. */
  KAFKA_SASL_MECHANISM?: string;
  KAFKA_SASL_USERNAME?: string;
  KAFKA_SASL_PASSWORD?: string;
}

/** The admin login given in env for a Kafka run elsewhere, if any. */
export function givenKafkaLogin(env: KafkaLoginVariables): KafkaCredentials | undefined {
  return env.KAFKA_SASL_USERNAME && env.KAFKA_SASL_PASSWORD
    ? { username: env.KAFKA_SASL_USERNAME, password: env.KAFKA_SASL_PASSWORD }
    : undefined;
}

/**
 * The addresses from env, with their defaults. The Kafka admin's login is the one given in env, else
 * the one kept with the local broker's files (`.data/kafka`), when there is one.
 */
export function infraEnv(env: NodeJS.ProcessEnv = process.env): InfraEnv {
  const login = givenKafkaLogin(env) ?? readAdminCredentials(join(dataDir(env), 'kafka'));
  return {
    KAFKA_BROKERS: env.KAFKA_BROKERS || '127.0.0.1:9092',
    PG_ADMIN_URL: env.PG_ADMIN_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
    REDIS_URL: env.REDIS_URL || 'redis://127.0.0.1:6379',
    ETCD_ENDPOINTS: env.ETCD_ENDPOINTS || 'http://127.0.0.1:2379',
    ...(login ? kafkaLoginEnv(login) : {}),
  };
}

/** `single`: one Kafka broker. `cluster`: three KRaft brokers (replication factor 3, min ISR 2). */
export type Profile = 'single' | 'cluster';

const clusterBrokers = ['127.0.0.1:19092', '127.0.0.1:19093', '127.0.0.1:19094'];

async function ensureCluster(brokers: string, dir: string, log: (line: string) => void): Promise<InfraServer> {
  const { ensureKafkaCluster } = await import('../../infra/kafka/cluster.ts');
  const first = Number(brokers.split(',')[0]!.split(':')[1]);
  const cluster = await ensureKafkaCluster({ dataDir: dir, basePort: first, log });
  return { name: 'kafka cluster', address: cluster.brokers.join(','), started: cluster.started, stop: () => cluster.stop(), env: kafkaLoginEnv(cluster.admin) };
}

/**
 * Several brokers listed: a cluster run elsewhere. It is waited for (any broker answering will do),
 * never replaced by a single broker started here on one of its ports.
 */
async function awaitKafkaCluster(brokers: string, login: KafkaCredentials | undefined, log: (line: string) => void): Promise<InfraServer> {
  const list = brokers.split(',').map((broker) => broker.trim()).filter(Boolean);
  const anyAnswers = async () => (await Promise.all(list.map((broker) => kafkaAnswers(broker, login)))).some(Boolean);
  await waitUntilReady(anyAnswers, { what: `kafka cluster at ${brokers}`, timeoutMs: 60_000 });
  return { ...reusedServer('kafka', brokers, log), env: login ? kafkaLoginEnv(login) : {} };
}

export interface Infra {
  env: InfraEnv;
  servers: InfraServer[];
  /** Stops the servers this call started (reused ones are left alone), in reverse start order. */
  stop(): Promise<void>;
}

async function stopAll(servers: InfraServer[], log: (line: string) => void): Promise<void> {
  for (const server of [...servers].reverse()) {
    if (!server.started) continue;
    log(`${server.name}: stopping`);
    await server.stop().catch((error) => log(`${server.name}: stop failed: ${error.message}`));
  }
}

/**
 * Makes every server answer at its env address, reusing running ones and starting missing ones
 * under `.data/` (in parallel). On failure, whatever was started is stopped again.
 */
export async function ensureInfra(
  { env = process.env, log = infraLog, profile = 'single' }: { env?: NodeJS.ProcessEnv; log?: (line: string) => void; profile?: Profile } = {},
): Promise<Infra> {
  const addresses = infraEnv(profile === 'cluster' && !env.KAFKA_BROKERS ? { ...env, KAFKA_BROKERS: clusterBrokers.join(',') } : env);
  const dir = dataDir(env);
  const results = await Promise.allSettled([
    ensurePostgres({ url: addresses.PG_ADMIN_URL, dir: join(dir, 'postgres'), log }),
    ensureRedis({ url: addresses.REDIS_URL, dir: join(dir, 'redis'), log }),
    ensureEtcd({ endpoint: addresses.ETCD_ENDPOINTS.split(',')[0].trim(), dir: join(dir, 'etcd'), log }),
    profile === 'cluster'
      ? ensureCluster(addresses.KAFKA_BROKERS, join(dir, 'kafka-cluster'), log)
      : addresses.KAFKA_BROKERS.includes(',')
        ? awaitKafkaCluster(addresses.KAFKA_BROKERS, givenKafkaLogin(env) ?? readAdminCredentials(join(dir, 'kafka-cluster')), log)
        : ensureKafka({ broker: addresses.KAFKA_BROKERS.trim(), dir: join(dir, 'kafka'), log, login: givenKafkaLogin(env) }),
  ]);
  const servers = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as Error] : []));
  if (failures.length > 0) {
    await stopAll(servers, log);
    throw new Error(`infrastructure failed to start:\n${failures.map((error) => error.message).join('\n\n')}`);
  }
  // The Kafka admin's login as the broker actually in use has it (none for a broker that wants none).
  const { KAFKA_SASL_MECHANISM: _m, KAFKA_SASL_USERNAME: _u, KAFKA_SASL_PASSWORD: _p, ...withoutLogin } = addresses;
  return { env: Object.assign(withoutLogin, ...servers.map((server) => server.env ?? {})), servers, stop: () => stopAll(servers, log) };
}
