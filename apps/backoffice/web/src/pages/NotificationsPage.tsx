import { useState, type FormEvent } from 'react';
import { Link } from '../../../../shared/web/router.tsx';
import { formatTime, Pager, ResourceView, useCursorPages, useResource } from '../../../../shared/web/ui.tsx';
import { api } from '../api.ts';

export function NotificationList({ orderId }: { orderId?: string }) {
  const pages = useCursorPages(orderId ?? '');
  const notifications = useResource((signal) => api.notifications({ orderId, cursor: pages.cursor }, signal), [orderId, pages.cursor]);
  return (
    <ResourceView resource={notifications} label="Loading notifications…">
      {(page) => (
        <>
          {page.items.length === 0 && <p className="card muted">No notifications{orderId ? ' for this order' : ''} yet.</p>}
          <ul className="stack" style={{ listStyle: 'none', padding: 0, margin: 0 }} aria-label="Notifications">
            {page.items.map((n) => (
              <li key={n.id} className="card">
                <div className="spread">
                  <strong>{n.subject}</strong>
                  <span className="badge">{n.template}</span>
                </div>
                <p className="small muted" style={{ margin: '0.25rem 0' }}>
                  {n.channel} to {n.recipient} · {formatTime(n.createdAt)} · order{' '}
                  <Link to={`/orders/${n.orderId}`} className="mono">
                    {n.orderId.slice(0, 8)}
                  </Link>
                </p>
                <p style={{ margin: 0, whiteSpace: 'pre-wrap' }}>{n.body}</p>
              </li>
            ))}
          </ul>
          <Pager hasPrevious={pages.page > 1} hasNext={Boolean(page.nextCursor)} onPrevious={pages.previous} onNext={() => page.nextCursor && pages.next(page.nextCursor)} />
        </>
      )}
    </ResourceView>
  );
}

export function NotificationsPage() {
  const [draft, setDraft] = useState('');
  const [orderId, setOrderId] = useState<string>();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setOrderId(draft.trim() || undefined);
  };
  return (
    <div className="stack">
      <h1>Notifications sent</h1>
      <form className="row" role="search" onSubmit={submit}>
        <label style={{ flex: '1 1 300px' }}>
          Order id
          <input value={draft} onChange={(e) => setDraft(e.target.value)} pattern="[0-9a-fA-F-]{36}" placeholder="Filter by order (uuid)" />
        </label>
        <button type="submit">Filter</button>
      </form>
      <NotificationList orderId={orderId} />
    </div>
  );
}
