import type { Static, TSchema } from 'typebox';
import type postgres from 'postgres';
import type { EventHandler, HandlerContext } from './consumer.ts';
import { assertEventData, checkEnvelope, type EventEnvelope, InvalidEventError, type SchemaRegistry } from './envelope.ts';
import { type CleanupPolicy, defineTopic, type TopicDefinition } from './topics.ts';

/** A topic and the service that owns it (publishes on it and declares it). */
export interface TopicDescriptor<Name extends string = string> extends TopicDefinition {
  readonly name: Name;
  readonly owner: string;
}

export function topic<Name extends string>(settings: {
  name: Name;
  owner: string;
  partitions?: number;
  retentionMs?: number;
  cleanupPolicy?: CleanupPolicy;
}): TopicDescriptor<Name> {
  return Object.freeze({ ...defineTopic(settings), name: settings.name, owner: settings.owner });
}

type Versions = { readonly [version: number]: TSchema };

/** One version of an event: what `outbox.add` needs to publish it and to type-check its `data`. */
export interface EventVersion<TData = unknown> {
  readonly topic: TopicDescriptor;
  readonly type: string;
  readonly version: number;
  readonly schema: TSchema;
  /** The schema of every version of the event (an older one may be emitted in its place: versionGate.ts). */
  readonly versions: Versions;
  /** Never set: carries the type of `data` for the compiler. */
  readonly data?: TData;
}

/** An event type declared once: its topic, its name on the wire and the schema of each version. */
export type EventDescriptor<Type extends string = string, V extends Versions = Versions> = {
  readonly topic: TopicDescriptor;
  readonly type: Type;
  readonly versions: V;
} & { readonly [K in keyof V & number as `v${K}`]: EventVersion<Static<V[K]>> };

/** The version numbers of an event's `versions`, oldest first. */
export function versionNumbers(versions: Versions): number[] {
  return Object.keys(versions).map(Number).sort((a, b) => a - b);
}

/**
 * Declares an event: `event({ topic: OrdersTopic, type: 'OrderPlaced', versions: { 1: V1, 2: V2 } })`
 * gives `.v1` and `.v2` for producers and the descriptor itself for `on(...)`.
 */
export function event<Type extends string, V extends Versions>(declaration: {
  topic: TopicDescriptor;
  type: Type;
  versions: V;
}): EventDescriptor<Type, V> {
  const numbers = versionNumbers(declaration.versions);
  if (numbers.length === 0 || numbers.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new Error(`Event ${declaration.type}: versions must be integers >= 1, at least one`);
  }
  const descriptor: Record<string, unknown> = { topic: declaration.topic, type: declaration.type, versions: declaration.versions };
  for (const version of numbers) {
    descriptor[`v${version}`] = Object.freeze({
      topic: declaration.topic,
      type: declaration.type,
      version,
      schema: declaration.versions[version],
      versions: declaration.versions,
    });
  }
  return Object.freeze(descriptor) as EventDescriptor<Type, V>;
}

/** The envelope a handler of `E` receives: one member per version, told apart by `version`. */
export type EventOf<E extends EventDescriptor> =
  E extends EventDescriptor<infer Type, infer V>
    ? { [K in keyof V & number]: EventEnvelope<Static<V[K]>> & { readonly type: Type; readonly version: K } }[keyof V & number]
    : never;

/**
 * Reads a parsed message value as one of `events`, typed: undefined when it is another event type;
 * throws `InvalidEventError` when it is not an envelope or its data breaks that version's schema.
 * For readers outside a consumer group (live feeds, tools): `readEvent(value, [OrderConfirmed, OrderCancelled])`.
 */
export function readEvent<E extends EventDescriptor>(value: unknown, events: readonly E[]): EventOf<E> | undefined {
  const envelope = checkEnvelope(value);
  const descriptor = events.find((e) => e.type === envelope.type);
  if (!descriptor) return undefined;
  const schema = descriptor.versions[envelope.version];
  if (!schema) throw new InvalidEventError(`no schema for ${envelope.type} v${envelope.version}`);
  assertEventData({ type: envelope.type, version: envelope.version, schema }, envelope.data);
  return envelope as EventOf<E>;
}

/** One event type a consumer handles, and how. */
export interface Subscription {
  readonly event: EventDescriptor;
  readonly handler: EventHandler;
}

/** `on(OrderPlaced, (event, tx) => ...)`: `event.data` is typed per version (narrow on `event.version`). */
export function on<E extends EventDescriptor>(
  event: E,
  handler: (event: EventOf<E>, tx: postgres.TransactionSql, ctx: HandlerContext) => Promise<unknown>,
): Subscription {
  return { event, handler: handler as EventHandler };
}

/** What a consumer needs from its subscriptions: the logical topics, a handler per type and each type's schemas. */
export function consumerPlan(subscriptions: readonly Subscription[]): {
  topics: string[];
  handlers: Record<string, EventHandler>;
  registry: SchemaRegistry;
} {
  const events = subscriptions.map((s) => s.event);
  const registry = schemaRegistryOf(events); // throws when a type is subscribed twice
  const handlers = Object.fromEntries(subscriptions.map((s) => [s.event.type, s.handler]));
  return { topics: topicsOf(events), handlers, registry };
}

/** The distinct logical topics of some events, in first-seen order. */
export function topicsOf(events: readonly EventDescriptor[]): string[] {
  return topicDescriptorsOf(events).map((t) => t.name);
}

/** The distinct topic descriptors of some events, in first-seen order. */
export function topicDescriptorsOf(events: readonly EventDescriptor[]): TopicDescriptor[] {
  const byName = new Map<string, TopicDescriptor>();
  for (const e of events) if (!byName.has(e.topic.name)) byName.set(e.topic.name, e.topic);
  return [...byName.values()];
}

/** `registry[type][version]` of some events; throws when two descriptors share a type. */
export function schemaRegistryOf(events: readonly EventDescriptor[]): SchemaRegistry {
  const registry: SchemaRegistry = {};
  for (const e of events) {
    if (Object.hasOwn(registry, e.type)) throw new Error(`Event type ${e.type} declared twice`);
    registry[e.type] = e.versions;
  }
  return registry;
}
