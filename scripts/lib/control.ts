/**
 * The launcher's control channel: `npm start` owns every service process, so commands that change
 * which processes run (`npm run upgrade`) ask it over a loopback HTTP endpoint, found with its bearer
 * token in the owner-only platform file.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Platform, ServiceBuild, ServiceProcess } from '../platform.ts';
import type { LauncherControl } from './rollout.ts';

export interface ControlEndpoint {
  url: string;
  token: string;
  close(): Promise<void>;
}

/** A launcher that can also say which build it retired last. */
export interface Launcher extends LauncherControl {
  instances(service: string): Promise<ServiceProcess[]>;
  launchBuild(service: string, build: ServiceBuild, count: number): Promise<ServiceProcess[]>;
  previousBuild(service: string): Promise<ServiceBuild | undefined>;
}

async function jsonBody(request: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of request) text += chunk;
  return text ? JSON.parse(text) : {};
}

/** Serves `platform`'s instance control on 127.0.0.1 (a free port) for holders of the returned token. */
export async function serveControl(platform: Platform): Promise<ControlEndpoint> {
  const token = randomBytes(24).toString('base64url');
  const expected = Buffer.from(`Bearer ${token}`);
  const server = createServer(async (request, response) => {
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    const given = Buffer.from(request.headers.authorization ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return send(401, { error: 'a bearer token from the platform file is needed' });
    const url = new URL(request.url ?? '/', 'http://control');
    const service = url.searchParams.get('service') ?? undefined;
    try {
      if (request.method === 'GET' && url.pathname === '/instances') return send(200, platform.instances(service));
      if (request.method === 'GET' && url.pathname === '/previous-build') return send(200, { build: service ? platform.previousBuild(service) ?? null : null });
      if (request.method === 'POST' && url.pathname === '/builds') {
        const body = (await jsonBody(request)) as { service: string; build: ServiceBuild; count: number };
        return send(201, platform.launchBuild(body.service, body.build, body.count));
      }
      if (request.method === 'POST' && url.pathname === '/retire') {
        const body = (await jsonBody(request)) as { ids: string[]; registeredAs?: string };
        await platform.retire(body.ids, body.registeredAs);
        return send(200, { retired: body.ids });
      }
      send(404, { error: `no ${request.method} ${url.pathname}` });
    } catch (error) {
      send(400, { error: (error as Error).message });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The launcher behind a control endpoint, as a rollout sees it. */
export function controlClient(options: { url: string; token: string; ns: string; gatewayUrl: string }): Launcher {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${options.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${options.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const answer = (await response.json()) as T & { error?: string };
    if (!response.ok) throw new Error(`the launcher refused ${method} ${path}: ${answer.error ?? response.status}`);
    return answer;
  };
  return {
    ns: options.ns,
    gatewayUrl: options.gatewayUrl,
    instances: (service) => call<ServiceProcess[]>('GET', `/instances?service=${encodeURIComponent(service)}`),
    launchBuild: (service, build, count) => call<ServiceProcess[]>('POST', '/builds', { service, build, count }),
    retire: async (ids, registeredAs) => {
      await call('POST', '/retire', { ids, registeredAs });
    },
    previousBuild: async (service) => (await call<{ build: ServiceBuild | null }>('GET', `/previous-build?service=${encodeURIComponent(service)}`)).build ?? undefined,
  };
}
