import { Type } from 'typebox';
import type { Static, TObject, TProperties, TSchema } from 'typebox';
import { Value } from 'typebox/value';

export { kafkaConnection, kafkaLoginEnv, type KafkaBrokers, type KafkaConnection, type KafkaLogin, type KafkaLoginVariables } from './kafka.ts';

/** Thrown by `loadConfig`; the message names every bad variable and why. */
export class ConfigError extends Error {
  readonly problems: { variable: string; reason: string }[];
  constructor(name: string, problems: { variable: string; reason: string }[]) {
    const lines = problems.map((p) => `  - ${p.variable}: ${p.reason}`);
    super(`Invalid configuration for ${name}:\n${lines.join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export interface LoadConfigOptions {
  /** Used in the error message ("Invalid configuration for <name>"). */
  name?: string;
}

/**
 * Reads the variables named by `schema`'s properties from `env`: empty strings count as unset,
 * strings are coerced to the declared type, defaults are applied, and any wrong or missing value
 * throws a ConfigError listing all of them. Variables not in the schema are ignored.
 */
export function loadConfig<S extends TObject>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
  options: LoadConfigOptions = {},
): Static<S> {
  const raw: Record<string, string> = {};
  for (const key of Object.keys(schema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const value = Value.Convert(schema, Value.Default(schema, { ...raw }));
  if (Value.Check(schema, value)) return value as Static<S>;
  throw new ConfigError(options.name ?? 'service', describeErrors(schema, raw, value as Record<string, unknown>));
}

interface SchemaError {
  keyword: string;
  params: Record<string, unknown>;
  message: string;
}

// Checked per variable: TypeBox caps the errors it gathers per call, and this keeps each variable's own.
function describeErrors(schema: TObject, raw: Record<string, string>, value: Record<string, unknown>) {
  const required = new Set<string>(schema.required ?? []);
  const problems: { variable: string; reason: string }[] = [];
  for (const [variable, property] of Object.entries(schema.properties)) {
    if (!(variable in value)) {
      if (required.has(variable)) problems.push({ variable, reason: 'is required' });
      continue;
    }
    const errors = Value.Errors(property, value[variable]) as SchemaError[];
    if (errors.length === 0) continue;
    problems.push({ variable, reason: `${describe(property, errors)}, got ${JSON.stringify(raw[variable])}` });
  }
  return problems.sort((a, b) => a.variable.localeCompare(b.variable));
}

function describe(property: TSchema, errors: SchemaError[]): string {
  const allowed = literalValues(property);
  if (allowed) return `expected one of ${allowed.join(', ')}`;
  const typeError = errors.find((e) => e.keyword === 'type');
  if (typeError) return `expected ${String(typeError.params.type)}`;
  return errors[0].message;
}

function literalValues(property: TSchema): unknown[] | undefined {
  const anyOf = (property as { anyOf?: { const?: unknown }[] }).anyOf;
  if (!anyOf?.every((s) => 'const' in s)) return undefined;
  return anyOf.map((s) => s.const);
}

/** Splits a comma-separated env value (`KAFKA_BROKERS`, `ETCD_ENDPOINTS`) into trimmed entries. */
export function splitList(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

/** The shared platform variables (docs/design.md); spread into a service's own schema. */
export const platformConfig = {
  KAFKA_BROKERS: Type.String({ default: '127.0.0.1:9092', minLength: 1 }),
  // This process's Kafka login (SASL); `npm start` gives each service its own. Unset: no login.
  KAFKA_SASL_MECHANISM: Type.Optional(Type.Union([Type.Literal('SCRAM-SHA-512'), Type.Literal('SCRAM-SHA-256'), Type.Literal('PLAIN')])),
  KAFKA_SASL_USERNAME: Type.Optional(Type.String({ minLength: 1 })),
  KAFKA_SASL_PASSWORD: Type.Optional(Type.String({ minLength: 1 })),
  // TLS to the brokers, checked against this CA certificate (PEM); the Kubernetes manifests mount Strimzi's.
  KAFKA_TLS_CA_FILE: Type.Optional(Type.String({ minLength: 1 })),
  REDIS_URL: Type.String({ default: 'redis://127.0.0.1:6379', minLength: 1 }),
  ETCD_ENDPOINTS: Type.String({ default: 'http://127.0.0.1:2379', minLength: 1 }),
  MERIDIAN_NAMESPACE: Type.String({ default: 'dev', pattern: '^[a-z0-9_]+$' }),
  HOST: Type.String({ default: '127.0.0.1' }),
  PORT: Type.Integer({ default: 0, minimum: 0, maximum: 65535 }),
  LOG_LEVEL: Type.Union(
    [
      Type.Literal('fatal'),
      Type.Literal('error'),
      Type.Literal('warn'),
      Type.Literal('info'),
      Type.Literal('debug'),
      Type.Literal('trace'),
      Type.Literal('silent'),
    ],
    { default: 'info' },
  ),
  DATABASE_URL: Type.Optional(Type.String({ minLength: 1 })),
  OTEL_EXPORTER_OTLP_ENDPOINT: Type.Optional(Type.String({ minLength: 1 })),
  // Zipkin server that receives every span (`npm start` runs one and sets it).
  ZIPKIN_URL: Type.Optional(Type.String({ minLength: 1 })),
  // The platform's Alertmanager (alerts routed by Prometheus), for the apps that show or silence alerts.
  ALERTMANAGER_URL: Type.Optional(Type.String({ minLength: 1 })),
  // The platform's Prometheus, for the apps that draw its metrics.
  PROMETHEUS_URL: Type.Optional(Type.String({ minLength: 1 })),
  // Which of a service's instances this process is (1, 2, ...), given by a launcher that restarts an
  // instance in its own slot; its consumers are then static group members (`<group>.<slot>`).
  MERIDIAN_INSTANCE_SLOT: Type.Optional(Type.String({ pattern: '^[a-z0-9-]{1,64}$' })),
  // The build this process runs (`1.0.0+3f2a9c1`), given by whoever deployed it (`npm run upgrade`, an
  // image's environment); discovery, logs, traces and the gateway's per-version routing carry it.
  // Unset: the service definition's version.
  MERIDIAN_BUILD_VERSION: Type.Optional(Type.String({ pattern: '^[\\w.+-]{1,64}$' })),
} satisfies TProperties;

export const PlatformConfig = Type.Object(platformConfig);
export type PlatformConfig = Static<typeof PlatformConfig>;
