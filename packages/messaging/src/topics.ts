import { Admin } from '@platformatic/kafka';
import { backoffDelay, errorMessage, sleep } from './support.ts';
import { kafkaConnection, type KafkaBrokers } from '@meridian/config';

export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete';

export interface TopicDefinition {
  /** Logical name, e.g. `orders.events`; the physical topic is `<ns>.<name>`. */
  name: string;
  partitions: number;
  retentionMs: number;
  cleanupPolicy: CleanupPolicy;
}

const dayMs = 24 * 60 * 60 * 1000;
/** Dead letters wait for a human, so they are kept longer than most events. */
export const dlqRetentionMs = 30 * dayMs;

export function defineTopic(definition: {
  name: string;
  partitions?: number;
  retentionMs?: number;
  cleanupPolicy?: CleanupPolicy;
}): TopicDefinition {
  const topic: TopicDefinition = {
    name: definition.name,
    partitions: definition.partitions ?? 3,
    retentionMs: definition.retentionMs ?? 7 * dayMs,
    cleanupPolicy: definition.cleanupPolicy ?? 'delete',
  };
  if (!/^[a-zA-Z0-9._-]+$/.test(topic.name)) throw new Error(`Topic name "${topic.name}" must match [a-zA-Z0-9._-]+`);
  if (!Number.isInteger(topic.partitions) || topic.partitions < 3) {
    throw new Error(`Topic ${topic.name}: partitions must be an integer >= 3`);
  }
  if (!Number.isInteger(topic.retentionMs) || (topic.retentionMs < 1 && topic.retentionMs !== -1)) {
    throw new Error(`Topic ${topic.name}: retentionMs must be a positive integer or -1 (forever)`);
  }
  if (!['delete', 'compact', 'compact,delete'].includes(topic.cleanupPolicy)) {
    throw new Error(`Topic ${topic.name}: cleanupPolicy must be delete, compact or compact,delete`);
  }
  return Object.freeze(topic);
}

/** The Kafka topic of a logical topic in namespace `ns`: `<ns>.<name>`. */
export function physicalTopic(ns: string, name: string): string {
  return `${ns}.${name}`;
}

export function dlqTopic(physical: string): string {
  return `${physical}.dlq`;
}

/** A positive integer env setting, or undefined when unset or empty. */
function envCount(env: Record<string, string | undefined>, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

/**
 * Creates every missing topic and its `.dlq` topic (idempotent, safe to race with another process).
 * Replication factor and `min.insync.replicas` come from the options, else from env
 * `KAFKA_REPLICATION_FACTOR` / `KAFKA_MIN_INSYNC_REPLICAS`, else the broker's defaults.
 * Returns the physical names it created.
 */
export async function ensureTopics(options: {
  brokers: KafkaBrokers;
  ns: string;
  topics: TopicDefinition[];
  replicationFactor?: number;
  minInsyncReplicas?: number;
}): Promise<string[]> {
  const env = process.env;
  // -1: the broker's default.replication.factor
  const replicas = options.replicationFactor ?? envCount(env, 'KAFKA_REPLICATION_FACTOR') ?? -1;
  const minInsync = options.minInsyncReplicas ?? envCount(env, 'KAFKA_MIN_INSYNC_REPLICAS');
  const admin = new Admin({ clientId: `${options.ns}.messaging-admin`, ...kafkaConnection(options.brokers) });
  try {
    const existing = new Set(await admin.listTopics());
    const created: string[] = [];
    for (const topic of options.topics) {
      const physical = physicalTopic(options.ns, topic.name);
      const wanted = [
        { name: physical, retentionMs: topic.retentionMs, cleanupPolicy: topic.cleanupPolicy },
        { name: dlqTopic(physical), retentionMs: dlqRetentionMs, cleanupPolicy: 'delete' },
      ];
      for (const { name, retentionMs, cleanupPolicy } of wanted) {
        if (existing.has(name)) continue;
        const configs = [
          { name: 'retention.ms', value: String(retentionMs) },
          { name: 'cleanup.policy', value: cleanupPolicy },
          ...(minInsync ? [{ name: 'min.insync.replicas', value: String(minInsync) }] : []),
        ];
        const create = () => admin.createTopics({ topics: [name], partitions: topic.partitions, replicas, configs });
        if (await withRetries(create, `create topic ${name}`)) created.push(name);
      }
    }
    return created;
  } finally {
    await admin.close();
  }
}

/** Runs `create`; false when the topic already existed. Retries other errors (a busy controller) a few times. */
async function withRetries(create: () => Promise<unknown>, what: string, attempts = 5): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      await create();
      return true;
    } catch (err) {
      if (everyLeafIs(err, 'TOPIC_ALREADY_EXISTS')) return false;
      if (everyLeafIs(err, 'TOPIC_AUTHORIZATION_FAILED')) {
        throw new Error(`Could not ${what}: this process's Kafka login may not create it (its ACLs allow creating only the topics it owns; ` +
          'whoever provisions the namespace creates the others, as npm start does)', { cause: err });
      }
      if (attempt >= attempts) throw new Error(`Could not ${what}: ${errorMessage(err)}`, { cause: err });
      await sleep(backoffDelay(200, attempt));
    }
  }
}

/** True when every leaf of the (nested: AggregateError → response error → per-topic errors) error has Kafka error `apiId`. */
function everyLeafIs(err: unknown, apiId: string): boolean {
  const nested = (err as { errors?: unknown[] }).errors;
  if (nested?.length) return nested.every((inner) => everyLeafIs(inner, apiId));
  return (err as { apiId?: string }).apiId === apiId;
}
