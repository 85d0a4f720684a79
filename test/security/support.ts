/** Helpers shared by the security tests: the running platform's instances, tokens, and response checks. */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { gatewayUrl, infra, waitFor } from '@meridian/testkit';

export const gateway = gatewayUrl();
export const ns = process.env.MERIDIAN_NAMESPACE || 'dev';
export const repoRoot = join(import.meta.dirname, '..', '..');
/** Where the platform writes each service's output (scripts/platform.ts: `<data dir>/logs/<ns>`). */
export const logDir = process.env.PLATFORM_LOG_DIR || join(process.env.MERIDIAN_DATA_DIR || join(repoRoot, '.data'), 'logs', ns);
export { waitFor };

export interface Instance {
  service: string;
  instanceId: string;
  url: string;
  health: string;
}

/** Every instance registered in discovery under this namespace (etcd v3 JSON gateway range). */
export async function instances(): Promise<Instance[]> {
  const prefix = `/meridian/${ns}/services/`;
  const rangeEnd = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
  const b64 = (value: string) => Buffer.from(value).toString('base64');
  const response = await fetch(`${infra().etcdEndpoints[0]}/v3/kv/range`, {
    method: 'POST',
    body: JSON.stringify({ key: b64(prefix), range_end: b64(rangeEnd) }),
  });
  const { kvs = [] } = (await response.json()) as { kvs?: { value: string }[] };
  return kvs.map(({ value }) => JSON.parse(Buffer.from(value, 'base64').toString()) as Instance);
}

/** One ready instance per business service (the gateway left out). */
export async function serviceInstances(): Promise<Map<string, Instance>> {
  const byService = new Map<string, Instance>();
  for (const instance of await instances()) {
    if (instance.service !== 'gateway' && instance.health === 'ready') byService.set(instance.service, instance);
  }
  return byService;
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

export async function send(
  base: string,
  method: string,
  path: string,
  options: { token?: string; json?: unknown; body?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body = options.body;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  Object.assign(headers, options.headers);
  const response = await fetch(base + path, { method, headers, body, redirect: 'manual' });
  // A server-sent event stream never ends: its status and headers are the answer, what it streams is not.
  if (response.ok && response.headers.get('content-type')?.startsWith('text/event-stream')) {
    await response.body?.cancel();
    return { status: response.status, headers: response.headers, text: '', body: undefined };
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, text, body: parsed };
}

/** Logs in; waits out one 429 (a shared account used by other tests of the run). */
export async function login(email: string, password: string): Promise<string> {
  let reply = await send(gateway, 'POST', '/api/v1/auth/login', { json: { email, password } });
  const retryAfter = Number(reply.headers.get('retry-after'));
  if (reply.status === 429 && retryAfter > 0 && retryAfter <= 60) {
    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
    reply = await send(gateway, 'POST', '/api/v1/auth/login', { json: { email, password } });
  }
  if (reply.status !== 200) throw new Error(`login ${email}: ${reply.status} ${reply.text}`);
  return reply.body.accessToken;
}

export const staffCredentials = {
  email: process.env.STAFF_EMAIL || 'staff@meridian.local',
  password: process.env.STAFF_PASSWORD || 'staff-password',
};

export const staffLogin = () => login(staffCredentials.email, staffCredentials.password);

export interface Customer {
  id: string;
  email: string;
  password: string;
  token: string;
}

export async function registerCustomer(password = `pw-${randomUUID()}`): Promise<Customer> {
  const email = `sec-${randomUUID().slice(0, 12)}@example.com`;
  const reply = await send(gateway, 'POST', '/api/v1/auth/register', { json: { email, password, name: 'Security Tester' } });
  if (reply.status !== 201) throw new Error(`register: ${reply.status} ${reply.text}`);
  return { id: reply.body.id, email, password, token: await login(email, password) };
}

/** Text that betrays internals: stack frames, source paths, Node internals. */
const leakPatterns = [
  /\bat [\w$.<>[\] ]+ \((?:file:|node:|\/)/, // a stack frame
  /\bat (?:file|node):/,
  /file:\/\//,
  /node:internal/,
  /\/(?:work|home|usr|tmp)\/[\w./-]+\.(?:ts|js|mjs)\b/,
  /\.ts:\d+:\d+/,
  /"stack"\s*:/,
];

/** The first leak pattern found in `text`, if any. */
export function leakIn(text: string): string | undefined {
  return leakPatterns.find((pattern) => pattern.test(text))?.toString();
}

/**
 * Problems with an error reply: it must be RFC 9457 problem+json whose `status` is the HTTP status,
 * with a Meridian problem type, and show no internals. Empty when fine.
 */
export function problemFaults(reply: Reply): string[] {
  const faults: string[] = [];
  const leak = leakIn(reply.text);
  if (leak) faults.push(`leaks internals (${leak})`);
  if (reply.status < 400) return faults;
  const type = reply.headers.get('content-type') ?? '';
  if (!type.startsWith('application/problem+json')) faults.push(`content-type ${type || '(none)'} is not application/problem+json`);
  const body = reply.body;
  if (!body || typeof body !== 'object') return [...faults, 'body is not a JSON object'];
  if (typeof body.type !== 'string' || !body.type.startsWith('https://meridian.dev/problems/')) faults.push(`type ${body.type}`);
  if (typeof body.title !== 'string') faults.push('title missing');
  if (body.status !== reply.status) faults.push(`problem status ${body.status} != ${reply.status}`);
  return faults;
}
