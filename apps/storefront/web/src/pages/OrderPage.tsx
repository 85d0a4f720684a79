import { useEffect, useState } from 'react';
import { followEvents, type ApiError } from '../../../../shared/web/api.ts';
import { Link, navigate } from '../../../../shared/web/router.tsx';
import { ErrorNotice, formatMoney, formatTime, Loading, StatusBadge, useAction } from '../../../../shared/web/ui.tsx';
import { session, type Order } from '../api.ts';
import { cart } from '../cart.ts';

/** What a cancellation reason means to the customer, and whether trying again can help. */
const reasonText: Record<string, { text: string; retry: boolean }> = {
  'payment_declined: card_declined': { text: 'Your card was declined. Try again with another payment method.', retry: true },
  'payment_declined: insufficient_funds': { text: 'Your card was declined for insufficient funds. Try again with another payment method.', retry: true },
  'payment_declined: unknown_token': {
    text: 'The payment method was not recognised. Use one of the test tokens shown at checkout (tok_visa pays).',
    retry: true,
  },
  'payment_declined: provider_timeout': {
    text: 'The payment could not be confirmed: the payment provider did not answer in time. Nothing was charged; try again.',
    retry: true,
  },
  'payment_declined: provider_unavailable': {
    text: 'The payment could not be confirmed: the payment provider is unavailable right now. Nothing was charged; try again in a moment.',
    retry: true,
  },
  insufficient_stock: { text: 'Some items are no longer in stock in the quantity you asked for.', retry: true },
  saga_timeout: { text: 'The order could not be completed in time. Nothing was charged; try again.', retry: true },
};

/** `payment_declined: card_declined` → a sentence for the customer; an unknown reason is shown as words. */
export function describeReason(reason: string): string {
  const known = reasonText[reason];
  if (known) return known.text;
  const text = reason.replace(/_/g, ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const statusText: Record<Order['status'], string> = {
  PENDING: 'We are reserving stock and authorizing your payment…',
  CONFIRMED: 'Your order is confirmed. Thank you!',
  CANCELLED: 'Your order was cancelled.',
};

export function OrderPage({ id }: { id: string }) {
  const current = session.use();
  const [order, setOrder] = useState<Order>();
  const [error, setError] = useState<ApiError>();
  const [live, setLive] = useState<'connecting' | 'open' | 'closed' | 'retrying'>('connecting');

  useEffect(() => {
    if (!current) return;
    const controller = new AbortController();
    void followEvents(
      `/app-api/orders/${encodeURIComponent(id)}/events`,
      current.token,
      {
        onEvent(event, data) {
          if (event === 'snapshot') setOrder(data as Order);
          if (event === 'update') {
            const update = data as { status: Order['status']; reason?: string; at: string };
            setOrder((previous) => previous && { ...previous, status: update.status, reason: update.reason, updatedAt: update.at });
          }
        },
        onStateChange(state, failure) {
          setLive(state);
          setError(failure);
        },
      },
      controller.signal,
    );
    return () => controller.abort();
  }, [id, current?.token]);

  if (!current) {
    return (
      <div className="card narrow">
        <p>
          <Link to={`/login?next=/orders/${id}`}>Sign in</Link> to see this order.
        </p>
      </div>
    );
  }
  if (!order) return error ? <ErrorNotice error={error} /> : <Loading label="Loading order…" />;

  const pending = order.status === 'PENDING';
  return (
    <div className="stack">
      <div className="spread">
        <h1 style={{ margin: 0 }}>Order {order.id.slice(0, 8)}</h1>
        {pending && (
          <span className={`live ${live === 'open' ? 'live-open' : ''}`}>{live === 'open' ? 'Live updates on' : 'Reconnecting…'}</span>
        )}
      </div>
      <section className="card stack" aria-label="Order status">
        <div className="status-hero" aria-live="polite">
          <span className="muted">Status</span>
          <span data-testid="order-status">
            <StatusBadge status={order.status} />
          </span>
          {pending && <span className="spinner" aria-hidden="true" />}
        </div>
        <p>{statusText[order.status]}</p>
        {order.status === 'CANCELLED' && order.reason && (
          <div className="notice notice-error stack" data-testid="order-reason">
            <span>{describeReason(order.reason)}</span>
            <TryAgain items={order.items} />
          </div>
        )}
        {error && pending && <ErrorNotice error={error} />}
      </section>
      <section className="card" aria-label="Order items">
        <div className="table-wrap" style={{ border: 'none' }}>
          <table>
            <thead>
              <tr>
                <th>Product</th>
                <th className="num">Qty</th>
                <th className="num">Unit price</th>
                <th className="num">Line total</th>
              </tr>
            </thead>
            <tbody>
              {order.items.map((item) => (
                <tr key={item.productId}>
                  <td>
                    <Link to={`/products/${item.productId}`}>{item.name}</Link>
                  </td>
                  <td className="num">{item.quantity}</td>
                  <td className="num">{formatMoney(item.unitPriceCents, order.currency)}</td>
                  <td className="num">{formatMoney(item.unitPriceCents * item.quantity, order.currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <p className="spread">
          <strong>Total</strong> <span className="price">{formatMoney(order.totalCents, order.currency)}</span>
        </p>
        <p className="muted small">
          Placed {formatTime(order.createdAt)} · last change {formatTime(order.updatedAt)}
        </p>
      </section>
      <p>
        <Link to="/orders">All my orders</Link> · <Link to="/">Continue shopping</Link>
      </p>
    </div>
  );
}

/** A cancelled order's items go back into the cart (merged with what is there), and the customer to checkout. */
function TryAgain({ items }: { items: Order['items'] }) {
  const refill = useAction(async () => {
    await cart.putBack(items.map(({ productId, quantity }) => ({ productId, quantity })));
    navigate('/cart');
  });
  return (
    <div>
      <button type="button" className="button-primary" onClick={() => void refill.run()} disabled={refill.busy}>
        Put the items back in my cart and try again
      </button>
      <ErrorNotice error={refill.error} />
    </div>
  );
}
