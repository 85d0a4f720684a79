/** Infrastructure addresses from env, with the design.md defaults. */
export interface InfraEnv {
  KAFKA_BROKERS: string;
  PG_ADMIN_URL: string;
  REDIS_URL: string;
  ETCD_ENDPOINTS: string;
}

export function infraEnv(env: NodeJS.ProcessEnv = process.env): InfraEnv {
  return {
    KAFKA_BROKERS: env.KAFKA_BROKERS || '127.0.0.1:9092',
    PG_ADMIN_URL: env.PG_ADMIN_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
    REDIS_URL: env.REDIS_URL || 'redis://127.0.0.1:6379',
    ETCD_ENDPOINTS: env.ETCD_ENDPOINTS || 'http://127.0.0.1:2379',
  };
}

export const brokerList = (env: InfraEnv = infraEnv()) => env.KAFKA_BROKERS.split(',').map((b) => b.trim()).filter(Boolean);
