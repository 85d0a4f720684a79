// `npm run reset`: forget all local platform state (.data/ and the namespace's databases and roles).
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { etcdAnswers } from './infra/etcd.ts';
import { infraEnv } from './infra/index.ts';
import { kafkaAnswers } from './infra/kafka.ts';
import { postgresAnswers } from './infra/postgres.ts';
import { redisAnswers } from './infra/redis.ts';
import { dataDir } from './lib/paths.ts';
import { runningPlatformPid } from './lib/pidfile.ts';
import { dropNamespace } from './provision.ts';

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
  { name: 'kafka', address: env.KAFKA_BROKERS.split(',')[0], answers: kafkaAnswers },
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
if (await postgresAnswers(env.PG_ADMIN_URL)) {
  const dropped = await dropNamespace(env.PG_ADMIN_URL, ns);
  console.log(`[reset] dropped ${dropped.length} database(s)/role(s) of namespace ${ns}${dropped.length ? `: ${dropped.join(', ')}` : ''}`);
} else {
  console.log(`[reset] PostgreSQL at ${env.PG_ADMIN_URL} is not running; its databases go with ${dir} if it lived there`);
}

if (existsSync(dir)) {
  rmSync(dir, { recursive: true, force: true });
  console.log(`[reset] deleted ${dir}`);
} else {
  console.log(`[reset] ${dir} does not exist`);
}
console.log('[reset] done (downloaded Kafka jars in .cache/ are kept)');
