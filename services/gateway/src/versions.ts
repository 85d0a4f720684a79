/**
 * Which build of a service a request goes to while two run side by side (a canary): a traffic split
 * per service (`{ "0.1.0": 90, "0.2.0": 10 }`, shares of 100, kept in etcd by `npm run traffic`), a
 * client pinned to one bucket so it does not flip between versions from one request to the next,
 * and a header that pins a version outright for testing.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { createEtcdClient, type ServiceInstance } from '@meridian/discovery';
import type { Logger } from '@meridian/log';

/** Request header that sends a request to one version (`x-meridian-version: 0.2.0`). */
export const versionHeader = 'x-meridian-version';

/** Shares of traffic per version of one service (any positive numbers; they are normalised). */
export type TrafficSplit = Record<string, number>;

export const trafficPrefix = (ns: string) => `/meridian/${ns}/traffic/`;
export const trafficKey = (ns: string, service: string) => `${trafficPrefix(ns)}${service}`;

/**
 * A stable number in [0, 100) for the client behind a request: its token's subject when it sends one
 * (the same customer across token refreshes), else its address. Only used to pick a bucket, never to
 * authenticate.
 */
export function clientBucket(headers: IncomingHttpHeaders, address = ''): number {
  const identity = subjectOf(headers.authorization) ?? (headers['x-forwarded-for']?.toString().split(',')[0]?.trim() || address);
  return createHash('sha1').update(identity).digest().readUInt32BE(0) % 100;
}

function subjectOf(authorization: string | undefined): string | undefined {
  const token = authorization?.startsWith('Bearer ') ? authorization.slice(7) : undefined;
  const payload = token?.split('.')[1];
  if (!payload) return undefined;
  try {
    const { sub } = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { sub?: unknown };
    return typeof sub === 'string' ? `sub:${sub}` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The version bucket `bucket` falls in, among the versions of `split` that have a ready instance
 * (the others' shares go to the rest). Undefined when no version of the split is available, which
 * means: route to any ready instance.
 */
export function versionFor(split: TrafficSplit, available: Set<string>, bucket: number): string | undefined {
  const shares = Object.entries(split).filter(([version, share]) => share > 0 && available.has(version)).sort(([a], [b]) => a.localeCompare(b));
  const total = shares.reduce((sum, [, share]) => sum + share, 0);
  if (total === 0) return undefined;
  let point = (bucket / 100) * total;
  for (const [version, share] of shares) {
    if (point < share) return version;
    point -= share;
  }
  return shares.at(-1)![0];
}

/** The version a request should reach, or undefined for "any": a pinned one first, then the service's split. */
export function wantedVersion(
  service: string,
  headers: IncomingHttpHeaders,
  address: string,
  splits: ReadonlyMap<string, TrafficSplit>,
  instancesOf: (service: string) => ServiceInstance[],
): string | undefined {
  const pinned = headers[versionHeader];
  if (typeof pinned === 'string' && pinned) return pinned;
  const split = splits.get(service);
  if (!split) return undefined;
  const available = new Set(instancesOf(service).filter((instance) => instance.health === 'ready').map((instance) => instance.version));
  return versionFor(split, available, clientBucket(headers, address));
}

export interface TrafficSplits {
  /** The current split of each service that has one. */
  readonly current: ReadonlyMap<string, TrafficSplit>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Follows the traffic splits of namespace `ns` in etcd (read at start, then watched; a lost watch is resumed). */
export function watchTrafficSplits({ endpoints, ns, logger }: { endpoints: string[]; ns: string; logger?: Logger }): TrafficSplits {
  const etcd = createEtcdClient({ endpoints, timeoutMs: 2000 });
  const prefix = trafficPrefix(ns);
  const current = new Map<string, TrafficSplit>();
  const controller = new AbortController();
  let following: Promise<void> | undefined;
  const set = (key: string, value: string | undefined) => {
    const service = key.slice(prefix.length);
    if (value === undefined) {
      current.delete(service);
      return;
    }
    try {
      current.set(service, JSON.parse(value) as TrafficSplit);
    } catch {
      logger?.warn({ key, value }, 'ignored a malformed traffic split');
    }
  };
  const follow = async (revision: number) => {
    while (!controller.signal.aborted) {
      try {
        await etcd.watchPrefix(prefix, revision + 1, (events) => {
          for (const event of events) set(event.key, event.type === 'delete' ? undefined : event.value);
        }, controller.signal);
      } catch {
        if (controller.signal.aborted) return;
        // The resolver reports a lost etcd; here the splits are read again and followed from there.
        await new Promise((resolve) => setTimeout(resolve, 1000));
        revision = await reload().catch(() => revision);
      }
    }
  };
  const reload = async () => {
    const { kvs, revision } = await etcd.rangePrefix(prefix);
    current.clear();
    for (const { key, value } of kvs) set(key, value);
    return revision;
  };
  return {
    current,
    async start() {
      following = follow(await reload());
    },
    async stop() {
      controller.abort();
      await following;
    },
  };
}
