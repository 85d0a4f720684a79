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
