import { levelLabel } from './levels.ts';

/** A log line ready to be indexed. */
export interface LogEntry {
  time: Date;
  service: string;
  level: string;
  instance: string | null;
  msg: string;
  traceId: string | null;
  spanId: string | null;
  reqId: string | null;
  /** Every other field of the line. */
  data: Record<string, unknown>;
}

/** Where the line was read from. */
export interface LineSource {
  /** The Kafka key: the shipping service's name. */
  key: string | undefined;
  /** The Kafka record timestamp, used when the line has no usable `time`. */
  timestamp: Date;
}

const indexedFields = new Set(['time', 'level', 'service', 'instance', 'msg', 'traceId', 'spanId', 'reqId']);
const maxMsgLength = 10_000;

const text = (value: unknown): string | null => (typeof value === 'string' && value.length > 0 ? value : null);

/** PostgreSQL text and jsonb cannot hold NUL characters. */
function withoutNul(value: unknown): unknown {
  if (typeof value === 'string') return value.replaceAll('\u0000', '');
  if (Array.isArray(value)) return value.map(withoutNul);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.replaceAll('\u0000', ''), withoutNul(v)]));
  }
  return value;
}

function lineTime(value: unknown, fallback: Date): Date {
  const time = typeof value === 'string' || typeof value === 'number' ? new Date(value) : undefined;
  return time && !Number.isNaN(time.getTime()) ? time : fallback;
}

/** Parses one shipped pino JSON line; undefined when it is not a JSON object. */
export function parseLogLine(raw: string, source: LineSource): LogEntry | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const line = (raw.includes('\\u0000') ? withoutNul(parsed) : parsed) as Record<string, unknown>;
  const data: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(line)) if (!indexedFields.has(name)) data[name] = value;
  return {
    time: lineTime(line.time, source.timestamp),
    service: text(line.service) ?? source.key ?? 'unknown',
    level: levelLabel(line.level),
    instance: text(line.instance),
    msg: typeof line.msg === 'string' ? line.msg.slice(0, maxMsgLength) : '',
    traceId: text(line.traceId),
    spanId: text(line.spanId),
    reqId: text(line.reqId),
    data,
  };
}
