import { Component, useCallback, useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError } from './api.ts';
import { sentenceFor, sentencesFor, type FieldLabels } from './fieldErrors.ts';
import type { SessionStore } from './session.ts';

export interface Resource<T> {
  data?: T;
  error?: ApiError;
  loading: boolean;
  reload(): void;
}

/** Loads data whenever `deps` change; the previous data stays visible while reloading. */
export function useResource<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Resource<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean }>({ loading: true });
  const [generation, setGeneration] = useState(0);
  const loader = useRef(load);
  loader.current = load;
  useEffect(() => {
    const controller = new AbortController();
    setState((previous) => ({ ...previous, loading: true, error: undefined }));
    loader.current(controller.signal).then(
      (data) => !controller.signal.aborted && setState({ data, loading: false }),
      (err) => !controller.signal.aborted && setState((previous) => ({ data: previous.data, error: toApiError(err), loading: false })),
    );
    return () => controller.abort();
  }, [...deps, generation]);
  const reload = useCallback(() => setGeneration((n) => n + 1), []);
  return { ...state, reload };
}

/** Polls `load` every `intervalMs` while the page is visible. */
export function usePolling<T>(load: (signal: AbortSignal) => Promise<T>, intervalMs: number, deps: unknown[] = []): Resource<T> {
  const resource = useResource(load, deps);
  const { reload } = resource;
  useEffect(() => {
    const timer = setInterval(() => document.visibilityState === 'visible' && reload(), intervalMs);
    return () => clearInterval(timer);
  }, [reload, intervalMs]);
  return resource;
}

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError(0, 'Something went wrong', 'An unexpected error happened in the page. Try again.');
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {label}
    </p>
  );
}

/**
 * A failed request in words: a validation problem as one sentence per field (those shown next to
 * their input, `inline`, left out), anything else as its title and detail.
 */
export function ErrorNotice({ error, onRetry, labels, inline = [] }: { error: ApiError | undefined; onRetry?: () => void; labels?: FieldLabels; inline?: string[] }) {
  if (!error) return null;
  const fields = error.fieldErrors.filter((f) => !inline.some((name) => f.field === name || f.field.startsWith(`${name}.`)));
  const validation = error.fieldErrors.length > 0;
  return (
    <div className="notice notice-error" role="alert">
      <strong>{validation ? 'Please check what you entered.' : error.title}</strong>
      {!validation && error.detail && error.detail !== error.title && <span> {error.detail}</span>}
      {fields.length > 0 && (
        <ul>
          {fields.map((f) => (
            <li key={f.field + f.message}>{sentenceFor(f, labels)}</li>
          ))}
        </ul>
      )}
      {onRetry && (
        <button type="button" className="button-link" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** The sentences about one field of a failed request, shown under its input. */
export function FieldMessage({ error, field, labels }: { error: ApiError | undefined; field: string; labels?: FieldLabels }) {
  const sentences = error ? sentencesFor(error.fieldErrors, field, labels) : [];
  if (sentences.length === 0) return null;
  return (
    <span className="field-error" data-field={field}>
      {sentences.join(' ')}
    </span>
  );
}

/** Shows loading, error or the content of a resource, in that order of priority for a first load. */
export function ResourceView<T>({ resource, children, label }: { resource: Resource<T>; children: (data: T) => ReactNode; label?: string }) {
  if (resource.data === undefined) {
    if (resource.error) return <ErrorNotice error={resource.error} onRetry={resource.reload} />;
    return <Loading label={label} />;
  }
  return (
    <>
      {resource.error && <ErrorNotice error={resource.error} onRetry={resource.reload} />}
      {children(resource.data)}
    </>
  );
}

/** Catches render errors so a bug shows a friendly message, never a stack trace. */
export class ErrorBoundary extends Component<{ children: ReactNode }, { failed: boolean }> {
  override state = { failed: false };
  static getDerivedStateFromError() {
    return { failed: true };
  }
  override render() {
    if (!this.state.failed) return this.props.children;
    return (
      <div className="notice notice-error" role="alert">
        <strong>This page could not be shown.</strong> Reload the page; if it keeps happening, tell us.
        <button type="button" className="button-link" onClick={() => location.reload()}>
          Reload
        </button>
      </div>
    );
  }
}

export function formatMoney(cents: number, currency = 'EUR'): string {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(cents / 100);
  } catch {
    return `${(cents / 100).toFixed(2)} ${currency}`;
  }
}

export function formatTime(iso: string | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status.toLowerCase()}`}>{status}</span>;
}

/** Runs an async action from a form or button, tracking busy state and its error. */
export function useAction<A extends unknown[], R>(action: (...args: A) => Promise<R>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const run = async (...args: A): Promise<R | undefined> => {
    setBusy(true);
    setError(undefined);
    try {
      return await action(...args);
    } catch (err) {
      setError(toApiError(err));
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return { run, busy, error, setError };
}

export function LoginForm({ session, title, hint, onDone }: { session: SessionStore; title: string; hint?: ReactNode; onDone?: () => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const login = useAction(async () => {
    await session.login(email.trim(), password);
    onDone?.();
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void login.run();
  };
  return (
    <form className="card form narrow" onSubmit={submit} aria-labelledby="login-title">
      <h1 id="login-title">{title}</h1>
      {hint}
      <label>
        Email
        <input type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
      </label>
      <label>
        Password
        <input type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
      </label>
      <ErrorNotice error={login.error} />
      <button type="submit" className="button-primary" disabled={login.busy}>
        {login.busy ? 'Signing in…' : 'Sign in'}
      </button>
    </form>
  );
}

export function Pager({ hasPrevious, hasNext, onPrevious, onNext }: { hasPrevious: boolean; hasNext: boolean; onPrevious(): void; onNext(): void }) {
  if (!hasPrevious && !hasNext) return null;
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" onClick={onPrevious} disabled={!hasPrevious}>
        ← Previous
      </button>
      <button type="button" onClick={onNext} disabled={!hasNext}>
        Next →
      </button>
    </nav>
  );
}

/** Keyset paging state: the cursors of the pages before the current one. */
export function useCursorPages(resetKey: string) {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [lastKey, setLastKey] = useState(resetKey);
  if (lastKey !== resetKey) {
    setLastKey(resetKey);
    setCursors([undefined]);
  }
  return {
    cursor: cursors[cursors.length - 1],
    page: cursors.length,
    next: (nextCursor: string) => setCursors((list) => [...list, nextCursor]),
    previous: () => setCursors((list) => (list.length > 1 ? list.slice(0, -1) : list)),
  };
}

/** A header cell: its label, and `num` for a right-aligned number column. */
export type Column = string | { label: string; num?: boolean };

/** A scrollable table with its header; `empty` fills one row when there are no rows (omit it to show none). */
export function Table<T>(props: { label?: string; className?: string; columns: Column[]; rows: T[]; empty?: ReactNode; children: (row: T) => ReactNode }) {
  const { label, className, columns, rows, empty, children } = props;
  return (
    <div className="table-wrap">
      <table className={className} aria-label={label}>
        <thead>
          <tr>
            {columns.map((c) => (typeof c === 'string' ? <th key={c}>{c}</th> : <th key={c.label} className={c.num ? 'num' : undefined}>{c.label}</th>))}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 && empty !== undefined && (
            <tr>
              <td colSpan={columns.length} className="muted">
                {empty}
              </td>
            </tr>
          )}
          {rows.map(children)}
        </tbody>
      </table>
    </div>
  );
}

/** One page of a cursor-paginated list as a table, with the pager under it; loading and errors as `ResourceView` shows them. */
export function PagedTable<T>(props: {
  resource: Resource<{ items: T[]; nextCursor: string | null }>;
  pages: ReturnType<typeof useCursorPages>;
  loading: string;
  columns: Column[];
  empty?: ReactNode;
  children: (row: T) => ReactNode;
}) {
  const { pages } = props;
  return (
    <ResourceView resource={props.resource} label={props.loading}>
      {(page) => (
        <>
          <Table columns={props.columns} rows={page.items} empty={props.empty}>
            {props.children}
          </Table>
          <Pager hasPrevious={pages.page > 1} hasNext={Boolean(page.nextCursor)} onPrevious={pages.previous} onNext={() => page.nextCursor && pages.next(page.nextCursor)} />
        </>
      )}
    </ResourceView>
  );
}
