/**
 * Whether an error is the infrastructure's rather than the message's: the database connection went
 * away, PostgreSQL is restarting or out of connection slots, or a transaction lost a lock race. Such a
 * failure says nothing about the event, so a consumer retries it for as long as it takes instead of
 * counting it towards dead-lettering.
 */
export function isTransientError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return transientCodes.has(code) || code.startsWith('08'); // SQLSTATE class 08: connection exception
}

const transientCodes = new Set([
  // postgres.js (the pool) and Node's socket layer
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  // SQLSTATE: the server shut the session down or cannot take it now
  '57P01', // admin_shutdown (pg_terminate_backend, a fast shutdown)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, in recovery)
  '53300', // too_many_connections
  // SQLSTATE: lost a concurrency race; the same transaction succeeds when run again
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available (lock_timeout)
]);
