import { useEffect, useState, type CSSProperties } from 'react';
// The ops console owns how log lines look; the back office shows them the same way.
import { formatLogTime, LevelBadge, lineSummary, ServiceTag, serviceColors } from '../../../../ops-console/web/src/logLine.tsx';
import { ResourceView, useResource } from '../../../../shared/web/ui.tsx';
import { zipkinTraceUrl } from '../../../../shared/web/links.ts';
import { api, type Order } from '../api.ts';

/** While an order changed less than this long ago, its saga may still be logging: keep refreshing. */
const liveForMs = 60_000;
const refreshMs = 3000;
/** A wrapping row that stays a row on a phone too (unlike `.row`). */
const inlineRow: CSSProperties = { display: 'flex', flexWrap: 'wrap', alignItems: 'center', gap: '0.4rem 0.75rem', listStyle: 'none', padding: 0, margin: '0 0 0.5rem' };

/**
 * "Everything that happened to this order": every log line, in every service, under the trace id of
 * the request that placed it, oldest first, coloured per service; and a link to the ops console's logs.
 */
export function OrderLogs({ order }: { order: Order }) {
  const { traceId } = order;
  const logs = useResource((signal) => (traceId ? api.traceLogs(traceId, signal) : Promise.resolve(undefined)), [traceId]);
  const config = useResource((signal) => api.config(signal), []);
  const [onlyService, setOnlyService] = useState<string>();
  const { reload } = logs;
  useEffect(() => {
    const until = Date.parse(order.updatedAt) + liveForMs;
    if (!traceId || Date.now() > until) return;
    const timer = setInterval(() => (Date.now() > until ? clearInterval(timer) : document.visibilityState === 'visible' && reload()), refreshMs);
    return () => clearInterval(timer);
  }, [traceId, order.updatedAt, reload]);

  if (!traceId) {
    return <p className="card muted">This order was placed before orders kept their trace id, so its log lines cannot be found by it.</p>;
  }
  const opsLink = config.data?.opsConsoleUrl ? `${config.data.opsConsoleUrl.replace(/\/$/, '')}/logs?traceId=${traceId}&order=asc` : undefined;
  const traceLink = config.data?.zipkinUrl ? zipkinTraceUrl(config.data.zipkinUrl, traceId) : undefined;
  return (
    <div className="stack">
      <div className="row" style={{ alignItems: 'center' }}>
        <span className="small muted">
          Trace <span className="mono">{traceId}</span>
        </span>
        {opsLink && (
          <a href={opsLink} target="_blank" rel="noopener">
            Open these logs in the ops console ↗
          </a>
        )}
        {traceLink && (
          <a href={traceLink} target="_blank" rel="noopener">
            Open the trace in Zipkin ↗
          </a>
        )}
        <button type="button" onClick={reload} disabled={logs.loading}>
          {logs.loading ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      <ResourceView resource={logs} label="Reading the logs of this order…">
        {(page) => {
          const items = page?.items ?? [];
          const counts = new Map<string, number>();
          for (const entry of items) counts.set(entry.service, (counts.get(entry.service) ?? 0) + 1);
          const shown = onlyService ? items.filter((entry) => entry.service === onlyService) : items;
          if (items.length === 0) {
            return <p className="card muted">No log lines yet. They reach the log index a second or two after they are written.</p>;
          }
          return (
            <>
              <ul style={inlineRow} aria-label="Services in this trace">
                {[...counts].map(([service, count]) => (
                  <li key={service}>
                    <button
                      type="button"
                      className="button-link"
                      aria-pressed={onlyService === service}
                      title={onlyService === service ? 'Show every service' : `Show only ${service}`}
                      onClick={() => setOnlyService(onlyService === service ? undefined : service)}
                      style={{ textDecoration: 'none', padding: 0, opacity: onlyService && onlyService !== service ? 0.5 : 1 }}
                    >
                      <ServiceTag service={service} /> <span className="small muted">{count}</span>
                    </button>
                  </li>
                ))}
              </ul>
              <ol className="timeline card" aria-label="Log timeline">
                {shown.map((entry) => (
                  <li key={entry.id} data-service={entry.service} style={{ '--accent': serviceColors(entry.service).accent } as CSSProperties}>
                    <div className="small" style={inlineRow}>
                      <ServiceTag service={entry.service} />
                      <span className="mono muted">{formatLogTime(entry.time)}</span>
                      {entry.level !== 'info' && <LevelBadge level={entry.level} />}
                    </div>
                    <div style={{ overflowWrap: 'anywhere' }}>
                      {entry.msg}
                      {lineSummary(entry.data) && <span className="muted small"> · {lineSummary(entry.data)}</span>}
                    </div>
                  </li>
                ))}
              </ol>
              {page?.nextCursor && <p className="small muted">Showing the first {items.length} lines{opsLink ? '; the ops console shows them all.' : '.'}</p>}
            </>
          );
        }}
      </ResourceView>
      {config.error && <p className="small muted">The ops console link is unavailable: {config.error.detail || config.error.title}</p>}
    </div>
  );
}
