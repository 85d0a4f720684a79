import { createEtcdClient } from './etcd.ts';
import { instanceKey, type InstanceHealth, type Logger, type ServiceInstance } from './types.ts';

export interface RegisterOptions {
  endpoints: string[];
  ns: string;
  instance: ServiceInstance;
  logger?: Logger;
  ttlSeconds?: number;
  keepAliveMs?: number;
}

export interface Registration {
  readonly key: string;
  setHealth(health: InstanceHealth): Promise<void>;
  /** Rewrites the record with `patch` applied (the messaging part, say). */
  update(patch: Partial<Omit<ServiceInstance, 'service' | 'instanceId'>>): Promise<void>;
  /** Removes the instance (revokes its lease). Never throws: an unrevoked lease expires on its own. */
  deregister(): Promise<void>;
}

/**
 * Publishes `instance` under a leased key and keeps the lease alive; if the lease is lost
 * (etcd restarted, or the process stalled past the TTL) it registers again with a new lease.
 */
export async function register({
  endpoints,
  ns,
  instance,
  logger,
  ttlSeconds = 10,
  keepAliveMs = 3000,
}: RegisterOptions): Promise<Registration> {
  const etcd = createEtcdClient({ endpoints });
  const key = instanceKey(ns, instance.service, instance.instanceId);
  let record = { ...instance };
  let leaseId = '';
  let stopped = false;
  let renewing: Promise<void> = Promise.resolve();

  async function registerWithNewLease(): Promise<void> {
    leaseId = await etcd.leaseGrant(ttlSeconds);
    await etcd.put(key, JSON.stringify(record), leaseId);
  }

  async function keepAlive(): Promise<void> {
    try {
      if ((await etcd.leaseKeepAlive(leaseId)) > 0) return;
      logger?.warn({ key }, 'discovery lease lost; registering again');
      await registerWithNewLease();
    } catch (err) {
      logger?.warn({ err, key }, 'discovery keep-alive failed');
    }
  }

  await registerWithNewLease();
  const timer = setInterval(() => {
    // One renewal at a time: a slow etcd must not pile up overlapping calls.
    renewing = renewing.then(() => (stopped ? undefined : keepAlive()));
  }, keepAliveMs);
  timer.unref();

  // Updates go out one at a time, each with the record as it is then: a later one never loses to an earlier.
  let updating: Promise<void> = Promise.resolve();
  function update(patch: Partial<ServiceInstance>): Promise<void> {
    record = { ...record, ...patch };
    const put = async () => {
      await renewing;
      try {
        await etcd.put(key, JSON.stringify(record), leaseId);
      } catch (err) {
        if (!/lease not found/.test(String(err))) throw err;
        await registerWithNewLease();
      }
    };
    const done = updating.then(put);
    updating = done.catch(() => {});
    return done;
  }

  return {
    key,
    setHealth: (health) => update({ health }),
    update,
    async deregister() {
      stopped = true;
      clearInterval(timer);
      await renewing;
      try {
        await etcd.leaseRevoke(leaseId);
      } catch (err) {
        logger?.warn({ err, key }, 'discovery deregister failed; the lease will expire');
      }
    },
  };
}
