// `npm run reset`: forget all local platform state (.data/, and the namespace's databases, roles, topics,
// Redis keys and etcd keys on servers that keep running).
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { etcdAnswers } from './infra/etcd.ts';
import { kafkaConnection } from '@meridian/config';
import { givenKafkaLogin, infraEnv } from './infra/index.ts';
import { kafkaAnswers } from './infra/kafka.ts';
import { postgresAnswers } from './infra/postgres.ts';
import { redisAnswers } from './infra/redis.ts';
import { dataDir } from './lib/paths.ts';
import { runningPlatformPid } from './lib/pidfile.ts';
import { wipeNamespace } from './provision.ts';

const { values: args } = parseArgs({ options: { force: { type: 'boolean', default: false } } });
const refuse = (why: string) => {
  console.error(`[reset] refusing: ${why}`);
  process.exit(1);
};

const pid = runningPlatformPid();
if (pid !== undefined) refuse(`a platform is running (pid ${pid}). Stop it first (Ctrl-C in its terminal or \`kill ${pid}\`).`);

const dir = dataDir();
const env = infraEnv();
const servers = [
  { name: 'kafka', address: env.KAFKA_BROKERS.split(',')[0], answers: (broker: string) => kafkaAnswers(broker, givenKafkaLogin(env)) },
  { name: 'etcd', address: env.ETCD_ENDPOINTS.split(',')[0], answers: etcdAnswers },
  { name: 'redis', address: env.REDIS_URL, answers: redisAnswers },
  { name: 'postgres', address: env.PG_ADMIN_URL, answers: postgresAnswers },
];
if (!args.force) {
  for (const { name, address, answers } of servers) {
    if (existsSync(join(dir, name)) && (await answers(address))) {
      refuse(`${name} answers at ${address} and may be running from ${join(dir, name)}; stop it first, or pass --force.`);
    }
  }
}

const ns = process.env.MERIDIAN_NAMESPACE || 'dev';
// Servers that answer (the machine's own, or given by env) keep the namespace's state outside .data/:
// databases and roles, topics and consumer groups, cached pages and carts, discovery keys.
const answering = new Set<string>();
for (const { name, address, answers } of servers) if (await answers(address)) answering.add(name);
const removed = await wipeNamespace(
  {
    adminUrl: answering.has('postgres') ? env.PG_ADMIN_URL : undefined,
    kafka: answering.has('kafka') ? kafkaConnection(env.KAFKA_BROKERS, env) : undefined,
    redisUrl: answering.has('redis') ? env.REDIS_URL : undefined,
    etcdEndpoints: answering.has('etcd') ? env.ETCD_ENDPOINTS : undefined,
  },
  ns,
);
console.log(`[reset] namespace ${ns}: removed ${removed || 'nothing (no server answers)'}`);
for (const { name, address } of servers) {
  if (!answering.has(name)) console.log(`[reset] ${name} at ${address} is not running; its data goes with ${dir} if it lived there`);
}

if (existsSync(dir)) {
  rmSync(dir, { recursive: true, force: true });
  console.log(`[reset] deleted ${dir}`);
} else {
  console.log(`[reset] ${dir} does not exist`);
}
console.log('[reset] done (downloaded Kafka jars in .cache/ are kept)');
