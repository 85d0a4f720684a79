import { useState, type FormEvent } from 'react';
import { Link, navigate, useLocation } from '../../../../shared/web/router.tsx';
import { Pager, ResourceView, useCursorPages, useResource, Table } from '../../../../shared/web/ui.tsx';
import { zipkinTraceUrl } from '../../../../shared/web/links.ts';
import { api, type LogEntry, type LogQuery } from '../api.ts';
import { formatLogTime, LevelBadge, lineSummary, ServiceTag } from '../logLine.tsx';
import './logs.css';

const levels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
const searchFields = ['traceId', 'service', 'level', 'q', 'since', 'until', 'order'] as const;
type Search = Pick<LogQuery, (typeof searchFields)[number]>;
const pageSize = 100;

/** The search lives in the URL (`/logs?traceId=…`), so every result can be bookmarked and linked to. */
function searchOf(query: URLSearchParams): Search {
  const search: Record<string, string> = {};
  for (const name of searchFields) {
    const value = query.get(name);
    if (value) search[name] = value;
  }
  return search as Search;
}

function logsHref(search: Search): string {
  const query = new URLSearchParams();
  for (const name of searchFields) if (search[name]) query.set(name, search[name]);
  const text = query.toString();
  return text ? `/logs?${text}` : '/logs';
}

/** ISO time → the value of a `datetime-local` input, in the browser's time zone. */
function toLocalInput(iso: string | undefined): string {
  const date = iso ? new Date(iso) : undefined;
  if (!date || Number.isNaN(date.getTime())) return '';
  return new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}
const fromLocalInput = (local: string) => (local ? new Date(local).toISOString() : undefined);

function SearchForm({ initial, services }: { initial: Search; services: string[] }) {
  const [draft, setDraft] = useState({ ...initial, since: toLocalInput(initial.since), until: toLocalInput(initial.until) });
  const field = (name: keyof Search) => ({
    value: draft[name] ?? '',
    onChange: (event: { target: { value: string } }) => setDraft({ ...draft, [name]: event.target.value }),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    navigate(
      logsHref({
        ...draft,
        traceId: draft.traceId?.trim().toLowerCase(),
        service: draft.service?.trim(),
        q: draft.q?.trim(),
        since: fromLocalInput(draft.since ?? ''),
        until: fromLocalInput(draft.until ?? ''),
      }),
    );
  };
  return (
    <form className="row card log-search" onSubmit={submit} aria-label="Log search">
      <label style={{ flex: '1 1 280px' }}>
        Trace id
        <input {...field('traceId')} className="mono" pattern="\s*[0-9a-fA-F]{32}\s*" title="32 hexadecimal digits" placeholder="32 hex digits" />
      </label>
      <label className="log-half">
        Service
        <input {...field('service')} list="log-services" placeholder="any" size={14} />
        <datalist id="log-services">
          {services.map((name) => (
            <option key={name} value={name} />
          ))}
        </datalist>
      </label>
      <label className="log-half">
        Level
        <select {...field('level')}>
          <option value="">Any</option>
          {levels.map((level) => (
            <option key={level} value={level}>
              {level} and above
            </option>
          ))}
        </select>
      </label>
      <label style={{ flex: '1 1 200px' }}>
        Text
        <input type="search" {...field('q')} placeholder='words, "a phrase", -word' />
      </label>
      <label>
        From
        <input type="datetime-local" {...field('since')} />
      </label>
      <label>
        Before
        <input type="datetime-local" {...field('until')} />
      </label>
      <label className="log-half">
        Order
        <select {...field('order')}>
          <option value="">Newest first</option>
          <option value="asc">Oldest first</option>
        </select>
      </label>
      <button type="submit" className="button-primary log-half">
        Search
      </button>
      <button type="button" className="log-half" onClick={() => navigate('/logs')}>
        Clear
      </button>
    </form>
  );
}

function LogRow({ entry, search, zipkinUrl }: { entry: LogEntry; search: Search; zipkinUrl?: string | null }) {
  const summary = lineSummary(entry.data);
  const details = { instance: entry.instance, reqId: entry.reqId, spanId: entry.spanId, ...entry.data };
  return (
    <tr>
      <td className="small mono" style={{ whiteSpace: 'nowrap' }}>
        {formatLogTime(entry.time)}
      </td>
      <td>
        <Link to={logsHref({ ...search, service: entry.service })} title={`Only ${entry.service}`} aria-current={false} style={{ textDecoration: 'none' }}>
          <ServiceTag service={entry.service} />
        </Link>
      </td>
      <td>
        <LevelBadge level={entry.level} />
      </td>
      <td className="log-message" style={{ minWidth: '16rem' }}>
        <details>
          <summary>
            {entry.msg}
            {summary && <span className="muted small"> · {summary}</span>}
          </summary>
          <pre className="small">{JSON.stringify(details, null, 2)}</pre>
        </details>
      </td>
      <td className="mono small">
        {entry.traceId ? (
          <Link to={logsHref({ traceId: entry.traceId, order: 'asc' })} title={`Every line of trace ${entry.traceId}`} aria-current={false} aria-label={`Trace ${entry.traceId}`}>
            {entry.traceId.slice(0, 12)}…
          </Link>
        ) : null}
        {entry.traceId && zipkinUrl ? (
          <>
            {' '}
            <a href={zipkinTraceUrl(zipkinUrl, entry.traceId)} target="_blank" rel="noopener" title="This trace's spans in Zipkin" aria-label={`Spans of trace ${entry.traceId} in Zipkin`}>
              spans ↗
            </a>
          </>
        ) : null}
        {entry.traceId ? null : (
          '—'
        )}
      </td>
    </tr>
  );
}

export function LogsPage() {
  const { query } = useLocation();
  const search = searchOf(query);
  const key = logsHref(search);
  const pages = useCursorPages(key);
  const logs = useResource((signal) => api.logs({ ...search, cursor: pages.cursor, limit: pageSize }, signal), [key, pages.cursor]);
  const services = useResource((signal) => api.services(signal), []);
  const config = useResource((signal) => api.config(signal), []);
  const serviceNames = (services.data?.services ?? []).map((s) => s.service);
  return (
    <div className="stack">
      <div className="spread">
        <h1 style={{ margin: 0 }}>Logs</h1>
        <button type="button" onClick={logs.reload} disabled={logs.loading}>
          {logs.loading ? 'Searching…' : 'Refresh'}
        </button>
      </div>
      <SearchForm key={key} initial={search} services={serviceNames} />
      {search.traceId && (
        <p className="notice notice-info small" style={{ margin: 0 }}>
          Everything logged under trace <span className="mono">{search.traceId}</span>, by every service it went through.
        </p>
      )}
      <ResourceView resource={logs} label="Searching the logs…">
        {(page) => (
          <>
            <p className="muted small" role="status" style={{ margin: 0 }}>
              {logs.loading
                ? 'Searching…'
                : `${page.items.length === 0 ? 'No' : page.items.length} log line${page.items.length === 1 ? '' : 's'}${pages.page > 1 ? ` on page ${pages.page}` : ''}${page.nextCursor ? ', more on the next page' : ''}.`}
            </p>
            <Table
              className="log-table"
              label="Log lines"
              columns={['Time', 'Service', 'Level', 'Message', 'Trace']}
              rows={page.items}
              empty="No log line matches this search. Lines reach the index a second or two after they are written."
            >
              {(entry) => <LogRow key={entry.id} entry={entry} search={search} zipkinUrl={config.data?.zipkinUrl} />}
            </Table>
            <Pager hasPrevious={pages.page > 1} hasNext={Boolean(page.nextCursor)} onPrevious={pages.previous} onNext={() => page.nextCursor && pages.next(page.nextCursor)} />
          </>
        )}
      </ResourceView>
    </div>
  );
}
