/** Infrastructure addresses from env, with the design.md defaults (the same as `npm start` gives every process). */
import { type InfraEnv, infraEnv } from '../../scripts/infra/index.ts';
import { kafkaConnection } from '@meridian/config';

export { type InfraEnv, infraEnv };

export const brokerList = (env: InfraEnv = infraEnv()) => env.KAFKA_BROKERS.split(',').map((b) => b.trim()).filter(Boolean);

/** The brokers with the admin's login, for the benchmark's own Kafka clients. */
export const benchKafka = (env: InfraEnv = infraEnv()) => kafkaConnection(brokerList(env), env);
