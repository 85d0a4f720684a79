// Helpers for the identity and catalog integration tests: in-process services on real infrastructure.
import { Consumer, type Message } from '@platformatic/kafka';
import { Redis } from 'ioredis';
import { createTempDatabase, infra, serviceEnv, uniqueName, waitFor, type TempDatabase } from '@meridian/testkit';
import { deleteNamespaceTopics } from '@meridian/testkit/services';
import { startService, type RunningService, type ServiceDefinition } from '@meridian/service';
import type { TProperties } from 'typebox';

export interface TestService {
  url: string;
  running: RunningService<any>;
  db: TempDatabase;
  stop(): Promise<void>;
}

/** Starts `def` in-process on a fresh database; `keepDb` lets a restart reuse an existing one. */
export async function startTestService<P extends TProperties>(
  def: ServiceDefinition<P>,
  ns: string,
  env: Record<string, string> = {},
  keepDb?: TempDatabase,
): Promise<TestService> {
  const db = keepDb ?? (await createTempDatabase(`${def.name}_test`));
  const running = await startService(def, serviceEnv({ databaseUrl: db.url, ns }, env));
  return { url: running.url, running, db, stop: () => running.stop() };
}

export function testNamespace(): string {
  return uniqueName('t');
}

export interface JsonResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** `fetch` with a JSON body; parses any JSON answer (including problem+json). */
export async function call<T = any>(url: string, init: { method?: string; body?: unknown; token?: string; headers?: Record<string, string> } = {}): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const response = await fetch(url, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

/** Reads `topic` from the beginning until `found` holds for the envelopes seen so far (each with its Kafka `headers`). */
export async function readEvents(topic: string, found: (events: any[]) => boolean, timeoutMs = 20_000): Promise<any[]> {
  const consumer = new Consumer({ clientId: 'h5-test', groupId: uniqueName('test_reader'), ...infra().kafka, autocommit: false, maxWaitTime: 300 });
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest' });
  const events: any[] = [];
  try {
    stream.on('data', (m: Message) => {
      const headers = Object.fromEntries([...m.headers].map(([name, value]) => [String(name), String(value)]));
      events.push({ ...JSON.parse(String(m.value)), headers });
    });
    await waitFor(() => found(events), { timeoutMs, message: `events on ${topic}` });
    return events;
  } finally {
    await stream.close();
    await consumer.close();
  }
}

/** Removes what a test namespace left behind: its Kafka topics (and DLQs) and Redis keys. */
export async function cleanupNamespace(ns: string): Promise<void> {
  await deleteNamespaceTopics(ns);
  const redis = new Redis(infra().redisUrl);
  try {
    const keys = await redis.keys(`${ns}:*`);
    if (keys.length) await redis.del(...keys);
  } finally {
    await redis.quit();
  }
}
