import { useState, type FormEvent } from 'react';
import { Link, navigate } from '../../../../shared/web/router.tsx';
import { ErrorNotice, formatMoney, Loading, ResourceView, useAction, useResource } from '../../../../shared/web/ui.tsx';
import { api, session, type Product } from '../api.ts';
import { cart, useCartLines } from '../cart.ts';
import { checkQuantity } from '../quantity.ts';

/** A random id for the Idempotency-Key (crypto.randomUUID needs a secure context). */
function newKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function CartPage() {
  const current = session.use();
  const lines = useCartLines();
  const ids = lines.map((line) => line.productId).join(',');
  const products = useResource(
    async (signal) => {
      const list = await Promise.all(lines.map((line) => api.product(line.productId, signal).catch(() => undefined)));
      return new Map(list.filter((p): p is Product => Boolean(p)).map((p) => [p.id, p]));
    },
    [ids],
  );
  const [paymentToken, setPaymentToken] = useState('tok_visa');
  // One key per checkout: a double submit or a retry after a network error cannot order twice.
  const [idempotencyKey, setIdempotencyKey] = useState(newKey);
  // A typed quantity is checked before it is sent; 0 removes the line.
  const update = useAction((productId: string, typed: string) => {
    const quantity = checkQuantity(typed, { min: 0 });
    return quantity > 0 ? cart.setQuantity(productId, quantity) : cart.remove(productId);
  });
  const [editing, setEditing] = useState<string>();
  const checkout = useAction(async () => {
    const order = await api.placeOrder({ items: lines, paymentToken: paymentToken.trim() }, idempotencyKey);
    await cart.clear().catch(() => undefined);
    setIdempotencyKey(newKey());
    navigate(`/orders/${order.id}`);
  });

  if (!current) {
    return (
      <div className="card narrow">
        <h1>Your cart</h1>
        <p>
          <Link to="/login?next=/cart">Sign in</Link> or <Link to="/signup">create an account</Link> to fill a cart and check out.
        </p>
      </div>
    );
  }
  if (lines.length === 0) {
    return (
      <div className="card">
        <h1>Your cart</h1>
        <p>
          Your cart is empty. <Link to="/">Browse the catalog</Link>
        </p>
      </div>
    );
  }
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void checkout.run();
  };

  return (
    <div className="stack">
      <h1>Your cart</h1>
      <ResourceView resource={products} label="Loading cart…">
        {(byId) => {
          const priced = lines.map((line) => ({ line, product: byId.get(line.productId) }));
          const currency = priced.find((p) => p.product)?.product?.price.currency ?? 'EUR';
          const total = priced.reduce((sum, { line, product }) => sum + (product ? product.price.amount * line.quantity : 0), 0);
          return (
            <section className="card" aria-label="Cart lines">
              {priced.map(({ line, product }) => (
                <div className="cart-line" key={line.productId}>
                  <div>
                    {product ? <Link to={`/products/${product.id}`}>{product.name}</Link> : <span className="muted">Product no longer available</span>}
                    {product && <div className="muted small">{formatMoney(product.price.amount, product.price.currency)} each</div>}
                  </div>
                  <label className="inline">
                    <span className="muted small">Qty</span>
                    <input
                      type="number"
                      min={0}
                      max={1000}
                      aria-label={`Quantity of ${product?.name ?? 'product'}`}
                      defaultValue={line.quantity}
                      onFocus={() => setEditing(product?.name)}
                      onBlur={(e) => e.target.value !== String(line.quantity) && void update.run(line.productId, e.target.value)}
                    />
                  </label>
                  <span className="price">{product ? formatMoney(product.price.amount * line.quantity, product.price.currency) : '—'}</span>
                  <button type="button" className="button-danger" onClick={() => void update.run(line.productId, '0')} disabled={update.busy}>
                    Remove
                  </button>
                </div>
              ))}
              <p className="spread">
                <strong>Total</strong>
                <span className="price" aria-label="Cart total">
                  {formatMoney(total, currency)}
                </span>
              </p>
            </section>
          );
        }}
      </ResourceView>
      <ErrorNotice error={update.error} labels={{ quantity: editing ? `Quantity of ${editing}` : 'Quantity', 'items.*.quantity': 'Quantity' }} />
      <form className="card form" onSubmit={submit} aria-labelledby="checkout-title">
        <h2 id="checkout-title" style={{ margin: 0 }}>
          Checkout
        </h2>
        <label>
          Payment token
          <input value={paymentToken} onChange={(e) => setPaymentToken(e.target.value)} required maxLength={100} aria-describedby="token-help" />
        </label>
        <p id="token-help" className="muted small" style={{ margin: 0 }}>
          Test tokens: <code>tok_visa</code> and <code>tok_mastercard</code> pay, <code>tok_decline</code> and <code>tok_insufficient_funds</code> are
          declined, <code>tok_timeout</code> gets no answer from the provider; any other token is refused as unknown.
        </p>
        <ErrorNotice error={checkout.error} />
        {checkout.busy ? (
          <Loading label="Placing your order…" />
        ) : (
          <button type="submit" className="button-primary">
            Place order
          </button>
        )}
      </form>
    </div>
  );
}
