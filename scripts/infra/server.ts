/** What every `ensureX()` in scripts/infra returns. */
export interface InfraServer {
  name: string;
  /** The address as it goes into env (KAFKA_BROKERS, PG_ADMIN_URL, REDIS_URL, ETCD_ENDPOINTS). */
  address: string;
  /** True when we started it (and so `stop()` stops it); false when an existing server was reused. */
  started: boolean;
  stop(): Promise<void>;
  /** Further env its clients need, beside the address (Kafka: the admin's login as KAFKA_SASL_*). */
  env?: Record<string, string>;
}

export interface EnsureOptions {
  /** Directory for this server's data and logs; default `<.data>/<name>`. */
  dir?: string;
  log?: (line: string) => void;
}

export const infraLog = (line: string) => console.log(`[infra] ${line}`);

export function reusedServer(name: string, address: string, log: (line: string) => void): InfraServer {
  log(`${name}: reusing ${address}`);
  return { name, address, started: false, stop: async () => {} };
}
