// Prometheus HTTP service discovery served from Meridian's etcd registry.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createResolver, type ServiceInstance } from '@meridian/discovery';

export interface DiscoveryBridgeOptions {
  etcdEndpoints: string[];
  ns: string;
  /** Port to listen on (127.0.0.1); 0 picks a free one. */
  port?: number;
}

export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

export interface DiscoveryBridge {
  /** The http_sd URL to give Prometheus. */
  url: string;
  stop(): Promise<void>;
}

/** One http_sd target group per instance (any health); records without a usable URL are skipped. */
export function toTargetGroups(instances: ServiceInstance[], ns: string): TargetGroup[] {
  const groups: TargetGroup[] = [];
  for (const instance of instances) {
    if (typeof instance?.service !== 'string' || typeof instance.instanceId !== 'string' || !URL.canParse(instance.url)) {
      continue;
    }
    const url = new URL(instance.url);
    groups.push({
      targets: [url.host],
      labels: {
        service: instance.service,
        instance_id: instance.instanceId,
        version: String(instance.version ?? ''),
        namespace: ns,
        ...(url.protocol === 'https:' ? { __scheme__: 'https' } : {}),
      },
    });
  }
  return groups.sort((a, b) => a.labels.instance_id.localeCompare(b.labels.instance_id));
}

/**
 * Serves the instances registered under `/meridian/<ns>/services/` as Prometheus http_sd JSON at any
 * path. The view is watch-fed by @meridian/discovery's resolver, which keeps its last known view
 * while etcd is unreachable.
 */
export async function startDiscoveryBridge({ etcdEndpoints, ns, port = 0 }: DiscoveryBridgeOptions): Promise<DiscoveryBridge> {
  const resolver = createResolver({ endpoints: etcdEndpoints, ns });
  await resolver.start();

  const server = createServer((request, response) => {
    if (request.method !== 'GET') {
      response.writeHead(405).end();
      return;
    }
    response
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify(toTargetGroups(resolver.instances(), ns)));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
  } catch (error) {
    await resolver.stop();
    throw error;
  }
  const { port: boundPort } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${boundPort}/targets`,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await resolver.stop();
    },
  };
}
