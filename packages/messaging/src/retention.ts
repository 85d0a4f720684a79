import type postgres from 'postgres';

export interface MessagingRetention {
  /** Published outbox rows older than this are deleted (unpublished ones never are). */
  outboxMs: number;
  /**
   * Inbox rows (`processed_messages`) older than this are deleted. Keep it longer than the retention
   * of every topic the service reads: a message redelivered after its inbox row is gone would run again.
   */
  inboxMs: number;
  /** Rows per delete statement, so no statement holds many row locks or a long transaction (default 5,000). */
  batchSize?: number;
  /** Ends the run between batches. */
  signal?: AbortSignal;
}

/**
 * Deletes what the outbox and the inbox no longer need: published events older than `outboxMs` and
 * inbox entries older than `inboxMs`, in batches found through the tables' BRIN indexes. Returns how
 * many rows each lost.
 */
export async function pruneMessaging(sql: postgres.Sql, retention: MessagingRetention): Promise<{ outbox: number; inbox: number }> {
  const { batchSize = 5000, signal } = retention;
  const outboxCutoff = new Date(Date.now() - retention.outboxMs);
  const inboxCutoff = new Date(Date.now() - retention.inboxMs);
  const outbox = await inBatches(signal, () => sql`
    delete from outbox where ctid = any(array(
      select ctid from outbox where created_at < ${outboxCutoff} and published_at is not null limit ${batchSize}))`, batchSize);
  const inbox = await inBatches(signal, () => sql`
    delete from processed_messages where ctid = any(array(
      select ctid from processed_messages where processed_at < ${inboxCutoff} limit ${batchSize}))`, batchSize);
  return { outbox, inbox };
}

async function inBatches(signal: AbortSignal | undefined, deleteBatch: () => Promise<{ count: number }>, batchSize: number): Promise<number> {
  let total = 0;
  while (!signal?.aborted) {
    const { count } = await deleteBatch();
    total += count;
    if (count < batchSize) break;
  }
  return total;
}
