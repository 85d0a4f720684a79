import { useState, type FormEvent } from 'react';
import { Link } from '../../../../shared/web/router.tsx';
import { formatMoney, formatTime, ResourceView, StatusBadge, useCursorPages, useResource, Table, PagedTable } from '../../../../shared/web/ui.tsx';
import { api } from '../api.ts';
import { NotificationList } from './NotificationsPage.tsx';
import { OrderLogs } from './OrderLogs.tsx';

interface Filters {
  status: string;
  customerId: string;
  from: string;
  to: string;
}
const noFilters: Filters = { status: '', customerId: '', from: '', to: '' };
/** A `datetime-local` value → ISO timestamp (the browser's time zone), or undefined when empty. */
const toIso = (local: string) => (local ? new Date(local).toISOString() : undefined);

export function OrdersPage() {
  const [draft, setDraft] = useState<Filters>(noFilters);
  const [filters, setFilters] = useState<Filters>(noFilters);
  const pages = useCursorPages(JSON.stringify(filters));
  const orders = useResource(
    (signal) =>
      api.orders(
        {
          status: filters.status || undefined,
          customerId: filters.customerId || undefined,
          from: toIso(filters.from),
          to: toIso(filters.to),
          cursor: pages.cursor,
        },
        signal,
      ),
    [filters, pages.cursor],
  );
  const field = (name: keyof Filters) => ({ value: draft[name], onChange: (e: { target: { value: string } }) => setDraft({ ...draft, [name]: e.target.value }) });
  const apply = (event: FormEvent) => {
    event.preventDefault();
    setFilters({ ...draft, customerId: draft.customerId.trim() });
  };
  return (
    <div className="stack">
      <h1>Orders</h1>
      <form className="row card" onSubmit={apply} aria-label="Order filters">
        <label>
          Status
          <select {...field('status')}>
            <option value="">Any</option>
            <option value="PENDING">Pending</option>
            <option value="CONFIRMED">Confirmed</option>
            <option value="CANCELLED">Cancelled</option>
          </select>
        </label>
        <label style={{ flex: '1 1 240px' }}>
          Customer id
          <input {...field('customerId')} pattern="[0-9a-fA-F-]{36}" placeholder="uuid" />
        </label>
        <label>
          Placed from
          <input type="datetime-local" {...field('from')} />
        </label>
        <label>
          Placed before
          <input type="datetime-local" {...field('to')} />
        </label>
        <button type="submit" className="button-primary">
          Apply filters
        </button>
        <button
          type="button"
          onClick={() => {
            setDraft(noFilters);
            setFilters(noFilters);
          }}
        >
          Reset
        </button>
      </form>
      <PagedTable resource={orders} pages={pages} loading="Loading orders…" columns={['Order', 'Placed', 'Customer', 'Status', 'Reason', { label: 'Total', num: true }]} empty="No orders match these filters.">
          {(o) => (
            <tr key={o.id}>
              <td className="mono">
                <Link to={`/orders/${o.id}`}>{o.id.slice(0, 8)}</Link>
              </td>
              <td className="small">{formatTime(o.createdAt)}</td>
              <td className="mono small">{o.customerId.slice(0, 8)}</td>
              <td>
                <StatusBadge status={o.status} />
              </td>
              <td className="small">{o.reason ?? ''}</td>
              <td className="num">{formatMoney(o.totalCents, o.currency)}</td>
            </tr>
          )}
      </PagedTable>
    </div>
  );
}

export function OrderDetailPage({ id }: { id: string }) {
  const order = useResource((signal) => api.order(id, signal), [id]);
  return (
    <div className="stack">
      <p>
        <Link to="/orders">← Orders</Link>
      </p>
      <ResourceView resource={order} label="Loading order…">
        {(o) => (
          <>
            <div className="spread">
              <h1 style={{ margin: 0 }}>Order {o.id.slice(0, 8)}</h1>
              <StatusBadge status={o.status} />
            </div>
            <section className="card">
              <dl className="facts">
                <dt>Order id</dt>
                <dd className="mono">{o.id}</dd>
                <dt>Customer</dt>
                <dd className="mono">{o.customerId}</dd>
                <dt>Placed</dt>
                <dd>{formatTime(o.createdAt)}</dd>
                <dt>Last change</dt>
                <dd>{formatTime(o.updatedAt)}</dd>
                {o.reason && (
                  <>
                    <dt>Reason</dt>
                    <dd>{o.reason}</dd>
                  </>
                )}
                <dt>Total</dt>
                <dd>{formatMoney(o.totalCents, o.currency)}</dd>
                {o.traceId && (
                  <>
                    <dt>Trace</dt>
                    <dd className="mono" style={{ overflowWrap: 'anywhere' }}>
                      <a href="#order-logs-title">{o.traceId}</a>
                    </dd>
                  </>
                )}
              </dl>
            </section>
            <h2>Items</h2>
            <Table columns={['Product', 'SKU', { label: 'Qty', num: true }, { label: 'Unit price', num: true }]} rows={o.items}>
              {(item) => (
                <tr key={item.productId}>
                  <td>
                    <Link to={`/products/${item.productId}`}>{item.name}</Link>
                  </td>
                  <td className="mono">{item.sku}</td>
                  <td className="num">{item.quantity}</td>
                  <td className="num">{formatMoney(item.unitPriceCents, o.currency)}</td>
                </tr>
              )}
            </Table>
            <h2>Event history</h2>
            <ol className="timeline card" aria-label="Event history">
              {o.history.map((entry) => (
                <li key={entry.eventId + entry.direction}>
                  <div className="spread">
                    <strong>
                      {entry.direction === 'out' ? 'Emitted' : 'Received'} {entry.type} v{entry.version}
                    </strong>
                    <span className="muted small">{formatTime(entry.recordedAt)}</span>
                  </div>
                  <div className="small muted">
                    from {entry.source} · {entry.outcome}
                    {entry.note ? ` · ${entry.note}` : ''}
                  </div>
                  <details>
                    <summary className="small">Event data</summary>
                    <pre>{JSON.stringify(entry.data, null, 2)}</pre>
                  </details>
                </li>
              ))}
            </ol>
            <h2>Notifications sent</h2>
            <NotificationList orderId={o.id} />
            <section aria-labelledby="order-logs-title">
              <h2 id="order-logs-title">Everything that happened to this order</h2>
              <OrderLogs order={o} />
            </section>
          </>
        )}
      </ResourceView>
    </div>
  );
}
