// Provider side: the provider runs for real, in-process (its own database and migrations, Kafka,
// Redis, etcd in a unique namespace), next to identity for access tokens.
import { randomUUID } from 'node:crypto';
import { Admin, Producer, stringSerializers } from '@platformatic/kafka';
import { Redis } from 'ioredis';
import type { TProperties } from 'typebox';
import { assertEventData, createEnvelope, type EventEnvelope, type EventVersion, physicalTopic } from '@meridian/messaging';
import { startService, type RunningService, type ServiceDefinition } from '@meridian/service';
import { createTempDatabase, infra, serviceEnv, uniqueName, waitFor, type TempDatabase } from '@meridian/testkit';
import { identityService } from '../../../services/identity/src/service.ts';

const staff = { email: 'staff@pact.test', password: 'staff-pact-password' };

interface Started {
  running: RunningService<any>;
  db: TempDatabase;
}

async function start<P extends TProperties>(def: ServiceDefinition<P>, ns: string, env: Record<string, string>): Promise<Started> {
  const db = await createTempDatabase(`pact_${def.name}`);
  try {
    const running = await startService(def, serviceEnv({ databaseUrl: db.url, ns }, env));
    return { running, db };
  } catch (error) {
    await db.drop();
    throw error;
  }
}

export interface JsonResponse {
  status: number;
  body: any;
}

export interface RunningProvider {
  url: string;
  ns: string;
  running: RunningService<any>;
  staffToken: string;
  customer: { id: string; email: string; token: string };
  /** JSON request to the provider (or to `base`). */
  call(path: string, init?: { method?: string; body?: unknown; token?: string; headers?: Record<string, string>; base?: string }): Promise<JsonResponse>;
  /** Publishes an event to one of the namespace's topics, as its producing service would. */
  publish<T>(event: EventVersion<T>, key: string, data: NoInfer<T>): Promise<void>;
  /** Waits for the provider's own code to write `type` to its outbox, matching `where`; returns the envelope. */
  outboxEvent(type: string, where: (data: any) => boolean, timeoutMs?: number): Promise<EventEnvelope<any>>;
  stop(): Promise<void>;
}

/** Starts identity, then `def` (unless it is identity), with a staff and a customer token ready. */
export async function startProvider<P extends TProperties>(def: ServiceDefinition<P>, env: Record<string, string> = {}): Promise<RunningProvider> {
  const ns = uniqueName('pact');
  const identity = await start(identityService, ns, { STAFF_EMAIL: staff.email, STAFF_PASSWORD: staff.password });
  const started: Started[] = [identity];
  let producer: Producer<string, string, string, string> | undefined;

  async function stop() {
    for (const s of started.reverse()) {
      await s.running.stop();
      await s.db.drop();
    }
    await producer?.close();
    await cleanupNamespace(ns);
  }

  try {
    const provider = def.name === 'identity' ? identity : await start(def, ns, env);
    if (provider !== identity) started.push(provider);

    async function call(path: string, init: Parameters<RunningProvider['call']>[1] = {}): Promise<JsonResponse> {
      const headers: Record<string, string> = { ...init.headers };
      if (init.body !== undefined) headers['content-type'] = 'application/json';
      if (init.token) headers.authorization = `Bearer ${init.token}`;
      const response = await fetch(new URL(path, init.base ?? provider.running.url), {
        method: init.method ?? 'GET',
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    }

    const identityUrl = identity.running.url;
    const login = async (body: unknown) => (await call('/api/v1/auth/login', { method: 'POST', body, base: identityUrl })).body.accessToken as string;
    const customerEmail = `customer-${randomUUID()}@pact.test`;
    const registered = await call('/api/v1/auth/register', { method: 'POST', base: identityUrl, body: { email: customerEmail, password: 'customer-password', name: 'Pact Customer' } });
    if (registered.status !== 201) throw new Error(`could not register the pact customer: ${JSON.stringify(registered.body)}`);

    return {
      url: provider.running.url,
      ns,
      running: provider.running,
      staffToken: await login(staff),
      customer: { id: registered.body.id, email: customerEmail, token: await login({ email: customerEmail, password: 'customer-password' }) },
      call,
      async publish(event, key, data) {
        const { type, version } = event;
        assertEventData(event, data);
        producer ??= new Producer({ clientId: `${ns}.pact`, ...infra().kafka, serializers: stringSerializers });
        const envelope = createEnvelope({ type, version, source: 'pact-provider-test', key, data });
        await producer.send({
          messages: [{ topic: physicalTopic(ns, event.topic.name), key, value: JSON.stringify(envelope), headers: { 'event-type': type, 'event-version': String(version), 'event-id': envelope.id } }],
        });
      },
      async outboxEvent(type, where, timeoutMs = 20_000) {
        const sql = provider.running.ctx.sql;
        return waitFor(
          async () => {
            const rows = await sql<{ payload: EventEnvelope<any> }[]>`select payload from outbox where type = ${type} order by seq desc`;
            return rows.map((r) => r.payload).find((payload) => where(payload.data));
          },
          { timeoutMs, message: `${def.name} to write ${type} to its outbox` },
        );
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Deletes the namespace's Kafka topics (and DLQs) and Redis keys. */
async function cleanupNamespace(ns: string): Promise<void> {
  const admin = new Admin({ clientId: `${ns}.pact-cleanup`, ...infra().kafka });
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${ns}.`));
    if (topics.length) await admin.deleteTopics({ topics });
  } finally {
    await admin.close();
  }
  const redis = new Redis(infra().redisUrl);
  try {
    const keys = await redis.keys(`${ns}:*`);
    if (keys.length) await redis.del(...keys);
  } finally {
    await redis.quit();
  }
}
