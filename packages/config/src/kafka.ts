import { readFileSync } from 'node:fs';

/** Where a Kafka client connects: broker addresses (the login then comes from env), or a whole connection. */
export type KafkaBrokers = string | string[] | KafkaConnection;

/** A SASL login as `@platformatic/kafka` clients take it. */
export interface KafkaLogin {
  mechanism: 'SCRAM-SHA-512' | 'SCRAM-SHA-256' | 'PLAIN';
  username: string;
  password: string;
}

/** What every Kafka client of the platform is constructed with: where the brokers are and who it is. */
export interface KafkaConnection {
  bootstrapBrokers: string[];
  sasl?: KafkaLogin;
  /** TLS to the brokers, checked against `ca` (the cluster's CA certificate, PEM). */
  tls?: { ca: string };
}

/** The env variables of a Kafka login. */
export interface KafkaLoginVariables {
  KAFKA_SASL_MECHANISM?: string;
  KAFKA_SASL_USERNAME?: string;
  KAFKA_SASL_PASSWORD?: string;
  KAFKA_TLS_CA_FILE?: string;
}

const mechanisms: readonly KafkaLogin['mechanism'][] = ['SCRAM-SHA-512', 'SCRAM-SHA-256', 'PLAIN'];

/**
 * The connection to `brokers` (a list or `a:9092,b:9092`; a connection is returned as it is) with the login given in env:
 * `KAFKA_SASL_USERNAME` and `KAFKA_SASL_PASSWORD`, mechanism `KAFKA_SASL_MECHANISM` (default
 * SCRAM-SHA-512). Without a username the client connects without a login, which a broker that
 * enforces authentication refuses. `KAFKA_TLS_CA_FILE` (a PEM file) turns TLS on, checked against that CA.
 */
export function kafkaConnection(brokers: KafkaBrokers, env: KafkaLoginVariables = process.env): KafkaConnection {
  if (typeof brokers === 'object' && !Array.isArray(brokers)) return brokers;
  const bootstrapBrokers = (Array.isArray(brokers) ? brokers : brokers.split(',')).map((b) => b.trim()).filter(Boolean);
  const tls = env.KAFKA_TLS_CA_FILE ? { tls: { ca: readFileSync(env.KAFKA_TLS_CA_FILE, 'utf8') } } : {};
  const username = env.KAFKA_SASL_USERNAME?.trim();
  if (!username) return { bootstrapBrokers, ...tls };
  const mechanism = (env.KAFKA_SASL_MECHANISM?.trim() || 'SCRAM-SHA-512') as KafkaLogin['mechanism'];
  if (!mechanisms.includes(mechanism)) throw new Error(`KAFKA_SASL_MECHANISM must be one of ${mechanisms.join(', ')}, got "${mechanism}"`);
  const password = env.KAFKA_SASL_PASSWORD;
  if (!password) throw new Error('KAFKA_SASL_USERNAME is set but KAFKA_SASL_PASSWORD is not');
  return { bootstrapBrokers, sasl: { mechanism, username, password }, ...tls };
}

/** The env variables of a Kafka login (what `kafkaConnection` reads), for handing one to a child process. */
export function kafkaLoginEnv(login: { username: string; password: string; mechanism?: KafkaLogin['mechanism'] }): Record<string, string> {
  return {
    KAFKA_SASL_MECHANISM: login.mechanism ?? 'SCRAM-SHA-512',
    KAFKA_SASL_USERNAME: login.username,
    KAFKA_SASL_PASSWORD: login.password,
  };
}
