import { setTimeout as sleep } from 'node:timers/promises';
import { createEtcdClient, type WatchEvent } from './etcd.ts';
import { servicesPrefix, type Logger, type ServiceInstance } from './types.ts';

export interface ResolverOptions {
  endpoints: string[];
  ns: string;
  logger?: Logger;
  /** How long an instance marked as failed is skipped by `resolve`. */
  failureCooldownMs?: number;
  /** Upper bound of the reconnect backoff after etcd failures. */
  maxBackoffMs?: number;
  /** Timeout of each etcd call (and of opening the watch). */
  requestTimeoutMs?: number;
}

export interface Resolver {
  /** Loads every instance, then follows changes in the background. Rejects if etcd cannot be read. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Known instances (any health), of one service or all. */
  instances(service?: string): ServiceInstance[];
  /**
   * Next ready instance of `service` (round-robin), skipping recently failed ones when it can; only
   * instances of build `version` when given.
   */
  resolve(service: string, version?: string): ServiceInstance | undefined;
  /** Makes `resolve` skip the instance for a while (e.g. its connection was refused). */
  markFailed(instanceId: string): void;
}

/**
 * A watch-fed view of the instances of every service in namespace `ns`. When etcd is
 * unreachable it keeps serving its last known view and reconnects with backoff.
 */
export function createResolver({
  endpoints,
  ns,
  logger,
  failureCooldownMs = 5000,
  maxBackoffMs = 5000,
  requestTimeoutMs = 2000,
}: ResolverOptions): Resolver {
  const etcd = createEtcdClient({ endpoints, timeoutMs: requestTimeoutMs });
  const prefix = servicesPrefix(ns);
  let byKey = new Map<string, ServiceInstance>();
  const nextIndex = new Map<string, number>();
  const failedUntil = new Map<string, number>();
  let controller: AbortController | undefined;
  let following: Promise<void> | undefined;

  function parse(value: string): ServiceInstance | undefined {
    try {
      return JSON.parse(value) as ServiceInstance;
    } catch {
      logger?.warn({ value }, 'discovery ignored a malformed instance record');
      return undefined;
    }
  }

  /** Replaces the whole view from a fresh read; returns the revision to watch from. */
  async function sync(): Promise<number> {
    const { kvs, revision } = await etcd.rangePrefix(prefix);
    const view = new Map<string, ServiceInstance>();
    for (const { key, value } of kvs) {
      const instance = parse(value);
      if (instance) view.set(key, instance);
    }
    byKey = view;
    return revision;
  }

  function apply(events: WatchEvent[]): void {
    for (const event of events) {
      if (event.type === 'delete') {
        byKey.delete(event.key);
        continue;
      }
      const instance = parse(event.value);
      if (instance) byKey.set(event.key, instance);
    }
  }

  async function follow(revision: number, signal: AbortSignal): Promise<void> {
    let backoffMs = 100;
    let needsSync = false;
    while (!signal.aborted) {
      try {
        if (needsSync) {
          revision = await sync();
          needsSync = false;
          logger?.info({ ns }, 'discovery resynchronised with etcd');
        }
        await etcd.watchPrefix(prefix, revision + 1, (events) => {
          backoffMs = 100;
          apply(events);
        }, signal);
      } catch (err) {
        if (signal.aborted) return;
        logger?.warn({ err, ns, retryInMs: backoffMs }, 'discovery lost etcd; keeping last known view');
        needsSync = true;
      }
      await sleep(backoffMs, undefined, { signal }).catch(() => undefined);
      backoffMs = Math.min(backoffMs * 2, maxBackoffMs);
    }
  }

  function instances(service?: string): ServiceInstance[] {
    const all = [...byKey.values()];
    return service ? all.filter((instance) => instance.service === service) : all;
  }

  return {
    async start() {
      if (controller) return;
      const revision = await sync();
      controller = new AbortController();
      following = follow(revision, controller.signal);
    },

    async stop() {
      controller?.abort();
      await following;
      controller = undefined;
      following = undefined;
    },

    instances,

    resolve(service, version) {
      const ready = instances(service)
        .filter((instance) => instance.health === 'ready' && (version === undefined || instance.version === version))
        .sort((a, b) => a.instanceId.localeCompare(b.instanceId));
      if (ready.length === 0) return undefined;
      const now = Date.now();
      const healthy = ready.filter((instance) => (failedUntil.get(instance.instanceId) ?? 0) <= now);
      const candidates = healthy.length > 0 ? healthy : ready;
      const turn = version === undefined ? service : `${service}@${version}`;
      const index = nextIndex.get(turn) ?? 0;
      nextIndex.set(turn, index + 1);
      return candidates[index % candidates.length];
    },

    markFailed(instanceId) {
      failedUntil.set(instanceId, Date.now() + failureCooldownMs);
    },
  };
}
