import type { ServiceInstance } from '@meridian/discovery';
import type { OutboxReport } from '../types.ts';

/** The sum of every sample of metric `name` in a Prometheus text exposition, or undefined if absent. */
export function sumSamples(exposition: string, name: string): number | undefined {
  let total: number | undefined;
  for (const line of exposition.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const value = Number(match[3]);
    if (Number.isFinite(value)) total = (total ?? 0) + value;
  }
  return total;
}

/** Reads the outbox relay's gauges and counters from every instance's `/metrics`. */
export async function scrapeOutboxes(instances: ServiceInstance[], timeoutMs = 2000): Promise<OutboxReport[]> {
  return Promise.all(
    instances.map(async ({ service, instanceId, url }): Promise<OutboxReport> => {
      try {
        const response = await fetch(new URL('/metrics', url), { signal: AbortSignal.timeout(timeoutMs) });
        if (!response.ok) return { service, instanceId, url, error: `/metrics answered ${response.status}` };
        const text = await response.text();
        return {
          service,
          instanceId,
          url,
          backlog: sumSamples(text, 'outbox_backlog'),
          // The relay exports the longer name; design.md's shorter one is accepted too.
          oldestAgeSeconds: sumSamples(text, 'outbox_oldest_unpublished_age_seconds') ?? sumSamples(text, 'outbox_oldest_age_seconds'),
          published: sumSamples(text, 'outbox_published_total'),
          publishErrors: sumSamples(text, 'outbox_publish_errors_total'),
        };
      } catch (err) {
        return { service, instanceId, url, error: (err as Error).name === 'TimeoutError' ? 'metrics timed out' : 'metrics unreachable' };
      }
    }),
  );
}
