export type InstanceHealth = 'starting' | 'ready' | 'draining';

/** The record each service instance keeps in etcd while it runs. */
export interface ServiceInstance {
  service: string;
  version: string;
  instanceId: string;
  url: string;
  apiVersions: string[];
  health: InstanceHealth;
  startedAt: string;
  /** What the instance exchanges over Kafka (logical topic names), for maps of the platform. */
  messaging?: InstanceMessaging;
}

export interface InstanceMessaging {
  /** Topics its outbox relay or log shipper writes to. */
  produces: string[];
  /**
   * Its consumer groups (`<ns>.<service>.<name>`), the topics each reads and, per event type it
   * handles, the versions its build reads (producers emit the newest version every consumer reads).
   */
  consumes: { group: string; topics: string[]; accepts?: Record<string, number[]> }[];
  /** Per event type, the versions its outbox has written since it started (a consumer's upgrade must keep reading them). */
  emits?: Record<string, number[]>;
}

/** The subset of a pino logger discovery uses. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const servicesPrefix = (ns: string): string => `/meridian/${ns}/services/`;

export const instanceKey = (ns: string, service: string, instanceId: string): string =>
  `${servicesPrefix(ns)}${service}/${instanceId}`;
