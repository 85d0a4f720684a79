import type { JSONValue, Sql } from 'postgres';
import type { Cursor } from '../domain/cursor.ts';
import type { LogEntry } from '../domain/entry.ts';

/** A log line with the Kafka record it was read from (position and timestamp). */
export interface SourcedEntry {
  entry: LogEntry;
  partition: number;
  offset: bigint;
  timestamp: Date;
}

/** Inserts the entries in one statement; records already indexed (redeliveries) are skipped. Returns the rows inserted. */
export async function insertEntries(sql: Sql, entries: SourcedEntry[]): Promise<number> {
  if (entries.length === 0) return 0;
  const rows = entries.map(({ entry, partition, offset, timestamp }) => ({
    time: entry.time,
    service: entry.service,
    level: entry.level,
    instance: entry.instance,
    msg: entry.msg,
    trace_id: entry.traceId,
    span_id: entry.spanId,
    req_id: entry.reqId,
    data: sql.json(entry.data as JSONValue),
    src_partition: partition,
    src_offset: offset.toString(),
    src_timestamp: timestamp,
  }));
  const result = await sql`
    insert into log_entries ${sql(rows, 'time', 'service', 'level', 'instance', 'msg', 'trace_id', 'span_id', 'req_id', 'data', 'src_partition', 'src_offset', 'src_timestamp')}
    on conflict (src_partition, src_offset, src_timestamp) do nothing`;
  return result.count;
}

export interface SearchFilter {
  traceId?: string;
  service?: string;
  /** Any of these levels. */
  levels?: string[];
  /** Full-text query over `msg` and the string and number values of `data` (web search syntax: words, "phrases", or, -not). */
  q?: string;
  since?: Date;
  until?: Date;
  order: 'asc' | 'desc';
  after?: Cursor;
  limit: number;
}

export interface StoredEntry extends LogEntry {
  id: string;
}

export async function searchEntries(sql: Sql, filter: SearchFilter): Promise<StoredEntry[]> {
  const desc = filter.order === 'desc';
  const after = filter.after;
  return sql<StoredEntry[]>`
    select id::text, time, service, level, instance, msg, trace_id as "traceId", span_id as "spanId", req_id as "reqId", data
    from log_entries
    where true
      ${filter.traceId ? sql`and trace_id = ${filter.traceId}` : sql``}
      ${filter.service ? sql`and service = ${filter.service}` : sql``}
      ${filter.levels ? sql`and level in ${sql(filter.levels)}` : sql``}
      ${filter.q ? sql`and (to_tsvector('simple', msg) || jsonb_to_tsvector('simple', data, '["string", "numeric"]')) @@ websearch_to_tsquery('simple', ${filter.q})` : sql``}
      ${filter.since ? sql`and time >= ${filter.since}` : sql``}
      ${filter.until ? sql`and time < ${filter.until}` : sql``}
      ${after && desc ? sql`and (time, id) < (${after.time}::timestamptz, ${after.id}::bigint)` : sql``}
      ${after && !desc ? sql`and (time, id) > (${after.time}::timestamptz, ${after.id}::bigint)` : sql``}
    order by ${desc ? sql`time desc, id desc` : sql`time asc, id asc`}
    limit ${filter.limit}`;
}

/** Deletes entries older than `days`, in chunks so no statement holds locks for long. Returns the count. */
export async function deleteOlderThan(sql: Sql, days: number, chunk = 10_000): Promise<number> {
  let deleted = 0;
  for (;;) {
    const result = await sql`
      delete from log_entries where id in (
        select id from log_entries where time < now() - make_interval(days => ${days}) limit ${chunk})`;
    deleted += result.count;
    if (result.count < chunk) return deleted;
  }
}
