import type { TSchema } from 'typebox';
import { Compile, type Validator } from 'typebox/compile';
import { v7 as timeOrderedUuid } from 'uuid';

/** Every event on the wire: the Kafka message value is this object as JSON. */
export interface EventEnvelope<TData = unknown> {
  id: string;
  type: string;
  version: number;
  source: string;
  time: string;
  key: string;
  traceparent?: string;
  data: TData;
}

/** Contract schemas of event `data`: `registry[type][version]` (a consumer's, built from its subscriptions). */
export type SchemaRegistry = Record<string, Record<number, TSchema>>;

/** A message or event that can never be processed or published as is; `reason` says why. */
export class InvalidEventError extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(`Invalid event: ${reason}`);
    this.name = 'InvalidEventError';
    this.reason = reason;
  }
}

export interface NewEvent<TData = unknown> {
  type: string;
  version: number;
  source: string;
  key: string;
  data: TData;
  traceparent?: string;
}

/**
 * A new event id: a time-ordered UUID (version 7, RFC 9562). Every id lands in two B-tree indexes, the
 * outbox's where it is written and the inbox (`processed_messages`) of every consumer group that handles
 * it; ids that grow with time are inserted at the right edge of those indexes instead of on a random
 * page, which at millions of rows is a page written whole to the WAL after every checkpoint
 * (docs/benchmarks.md, session 17).
 */
export function newEventId(): string {
  return timeOrderedUuid();
}

export function createEnvelope<TData>(event: NewEvent<TData>): EventEnvelope<TData> {
  const envelope: EventEnvelope<TData> = {
    id: newEventId(),
    type: event.type,
    version: event.version,
    source: event.source,
    time: new Date().toISOString(),
    key: event.key,
    data: event.data,
  };
  if (event.traceparent) envelope.traceparent = event.traceparent;
  return envelope;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Parses a Kafka message value into an envelope; throws `InvalidEventError` on bad JSON or envelope fields. */
export function parseEnvelope(value: Buffer | string | null | undefined): EventEnvelope {
  if (value === null || value === undefined || value.length === 0) throw new InvalidEventError('empty message value');
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString());
  } catch (err) {
    throw new InvalidEventError(`value is not JSON: ${(err as Error).message}`);
  }
  return checkEnvelope(parsed);
}

/** An already parsed value as an envelope; throws `InvalidEventError` naming every bad field. */
export function checkEnvelope(parsed: unknown): EventEnvelope {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidEventError('envelope: expected object');
  }
  const e = parsed as { [K in keyof EventEnvelope]?: unknown };
  const problems: string[] = [];
  if (typeof e.id !== 'string' || !uuidPattern.test(e.id)) problems.push('id: expected uuid');
  if (typeof e.type !== 'string' || e.type === '') problems.push('type: expected non-empty string');
  if (!Number.isInteger(e.version) || (e.version as number) < 1) problems.push('version: expected integer >= 1');
  if (typeof e.source !== 'string' || e.source === '') problems.push('source: expected non-empty string');
  if (typeof e.time !== 'string' || Number.isNaN(Date.parse(e.time))) problems.push('time: expected ISO date-time');
  if (typeof e.key !== 'string') problems.push('key: expected string');
  if (e.traceparent !== undefined && typeof e.traceparent !== 'string') problems.push('traceparent: expected string');
  if (!('data' in e)) problems.push('data: required');
  if (problems.length > 0) throw new InvalidEventError(`envelope ${problems.join('; ')}`);
  return e as EventEnvelope;
}

const validators = new WeakMap<TSchema, Validator>();

function validatorFor(schema: TSchema): Validator {
  let validator = validators.get(schema);
  if (!validator) {
    validator = Compile(schema);
    validators.set(schema, validator);
  }
  return validator;
}

/** Reasons why `data` does not match `registry[type][version]`, e.g. `data/lines/0/quantity: must be integer`; empty when valid. */
export function dataErrors(registry: SchemaRegistry, type: string, version: number, data: unknown): string[] {
  const schema = registry[type]?.[version];
  if (!schema) return [`no schema for ${type} v${version}`];
  return schemaErrors(schema, data);
}

/** Reasons why `data` does not match `schema`; empty when valid. */
export function schemaErrors(schema: TSchema, data: unknown): string[] {
  const validator = validatorFor(schema);
  if (validator.Check(data)) return [];
  return [...validator.Errors(data)].map((error) => `data${error.instancePath}: ${error.message}`);
}

/** Throws `InvalidEventError` unless `data` matches the contract schema of `type` v`version`. */
export function assertValidData(registry: SchemaRegistry, type: string, version: number, data: unknown): void {
  const schema = registry[type]?.[version];
  if (!schema) throw new InvalidEventError(`no schema for ${type} v${version}`);
  assertEventData({ type, version, schema }, data);
}

/** Throws `InvalidEventError`, naming every broken field, unless `data` matches this event version's schema. */
export function assertEventData(event: { type: string; version: number; schema: TSchema }, data: unknown): void {
  const errors = schemaErrors(event.schema, data);
  if (errors.length > 0) throw new InvalidEventError(`${event.type} v${event.version} ${errors.join('; ')}`);
}
