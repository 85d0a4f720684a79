/**
 * Overload refusals (503 with `Retry-After`) come in floods: a log line for each would add log
 * shipping and indexing to the very overload it reports. The first refusal after a quiet interval is
 * logged at once, with its request's context; the others are counted, and told in one line per
 * interval while they go on. Every refusal is still counted in the metrics.
 */
import { AsyncResource } from 'node:async_hooks';

export interface RefusalLogger {
  warn(fields: object, message: string): void;
}

export interface RefusalLog {
  /** Notes one refusal; `fields` describe it (the first of a flood is logged with them, the last in each summary). */
  refused(logger: RefusalLogger, fields: Record<string, unknown>): void;
}

// Summaries are written outside any request's log and trace context (a timer keeps the context it was made in).
const outsideRequests = AsyncResource.bind(<T>(fn: () => T): T => fn());

export function createRefusalLog(intervalMs = 5000): RefusalLog {
  let counted = 0;
  let last: Record<string, unknown> | undefined;
  let logger: RefusalLogger | undefined;
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    if (counted === 0) {
      timer = undefined; // a quiet interval: the next refusal is logged at once again
      return;
    }
    logger?.warn({ ...last, refused: counted, intervalSeconds: intervalMs / 1000 }, `${counted} more requests refused as overloaded in the last ${intervalMs / 1000} s`);
    counted = 0;
    last = undefined;
    timer = outsideRequests(() => setTimeout(tick, intervalMs).unref());
  };
  return {
    refused(requestLogger, fields) {
      logger = requestLogger;
      if (timer) {
        counted += 1;
        last = fields;
        return;
      }
      requestLogger.warn(fields, 'request refused: overloaded');
      timer = outsideRequests(() => setTimeout(tick, intervalMs).unref());
    },
  };
}

/** The process's refusal log: its HTTP server's and, in the gateway, the proxy's refusals. */
export const refusalLog = createRefusalLog();
