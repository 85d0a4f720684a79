import { Link } from '../../../../shared/web/router.tsx';
import { formatMoney, formatTime, Pager, ResourceView, StatusBadge, useCursorPages, useResource, Table } from '../../../../shared/web/ui.tsx';
import { api, session } from '../api.ts';

export function OrdersPage() {
  const current = session.use();
  const pages = useCursorPages(current?.user.id ?? '');
  const orders = useResource((signal) => (current ? api.orders(pages.cursor, signal) : Promise.resolve(undefined)), [current?.token, pages.cursor]);
  if (!current) {
    return (
      <div className="card narrow">
        <p>
          <Link to="/login?next=/orders">Sign in</Link> to see your orders.
        </p>
      </div>
    );
  }
  return (
    <div className="stack">
      <h1>My orders</h1>
      <ResourceView resource={orders} label="Loading orders…">
        {(page) =>
          !page || page.items.length === 0 ? (
            <div className="card">
              <p>
                No orders yet. <Link to="/">Start shopping</Link>
              </p>
            </div>
          ) : (
            <>
              <Table columns={['Order', 'Placed', 'Status', { label: 'Total', num: true }]} rows={page.items}>
                {(order) => (
                  <tr key={order.id}>
                    <td>
                      <Link to={`/orders/${order.id}`}>{order.id.slice(0, 8)}</Link>
                    </td>
                    <td>{formatTime(order.createdAt)}</td>
                    <td>
                      <StatusBadge status={order.status} />
                    </td>
                    <td className="num">{formatMoney(order.totalCents, order.currency)}</td>
                  </tr>
                )}
              </Table>
              <Pager hasPrevious={pages.page > 1} hasNext={Boolean(page.nextCursor)} onPrevious={pages.previous} onNext={() => page.nextCursor && pages.next(page.nextCursor)} />
            </>
          )
        }
      </ResourceView>
    </div>
  );
}
