// `npm run traffic -- <service> [<version>=<share> ...] [--clear]`: shows or sets how the gateway splits a
// service's traffic between builds running side by side (a canary). Shares are relative (`0.1.0=90
// 0.2.0=10`); a client stays on its version while the split holds. `--clear` routes to any ready
// instance again. Acts on the running platform's namespace (or MERIDIAN_NAMESPACE) and etcd.
import { parseArgs } from 'node:util';
import { createEtcdClient } from '@meridian/discovery';
import { trafficKey, type TrafficSplit } from '../services/gateway/src/versions.ts';
import { infraEnv } from './infra/index.ts';
import { readPlatformFile } from './lib/platformFile.ts';
import { registered } from './lib/rollout.ts';

/** `0.2.0=10` -> ['0.2.0', 10]; throws with the reason on anything else. */
export function parseShare(argument: string): [string, number] {
  const match = /^([\w.+-]+)=(\d+(?:\.\d+)?)$/.exec(argument);
  if (!match) throw new Error(`"${argument}" is not <version>=<share> (for example 0.2.0=10)`);
  return [match[1]!, Number(match[2])];
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { clear: { type: 'boolean', default: false } } });
  const [service, ...shares] = positionals;
  if (!service) {
    console.error('usage: npm run traffic -- <service> [<version>=<share> ...] [--clear]');
    process.exit(2);
  }
  const ns = process.env.MERIDIAN_NAMESPACE || readPlatformFile()?.ns || 'dev';
  const etcd = createEtcdClient({ endpoints: infraEnv().ETCD_ENDPOINTS.split(','), timeoutMs: 5000 });
  const key = trafficKey(ns, service);
  if (values.clear) {
    await etcd.delete(key);
    console.log(`[traffic] ${service}: any ready instance (split cleared)`);
  } else if (shares.length > 0) {
    const split: TrafficSplit = Object.fromEntries(shares.map(parseShare));
    if (Object.values(split).every((share) => share === 0)) throw new Error('at least one share must be above 0');
    await etcd.put(key, JSON.stringify(split));
    console.log(`[traffic] ${service}: split set to ${JSON.stringify(split)}`);
  }
  const { kvs } = await etcd.rangePrefix(key);
  const current = kvs.find((kv) => kv.key === key)?.value;
  const instances = await registered(etcd, ns, service);
  const byVersion = new Map<string, string[]>();
  for (const instance of instances) byVersion.set(instance.version, [...(byVersion.get(instance.version) ?? []), instance.health]);
  console.log(`[traffic] namespace ${ns}, ${service}: split ${current ?? 'none (any ready instance)'}`);
  for (const [version, health] of [...byVersion].sort()) console.log(`  ${version}: ${health.length} instance(s) (${health.join(', ')})`);
}

if (import.meta.main) {
  main().catch((error: Error) => {
    console.error(`[traffic] ${error.message}`);
    process.exit(1);
  });
}
