import { useState, type FormEvent } from 'react';
import { Link, navigate } from '../../../../shared/web/router.tsx';
import { ErrorNotice, FieldMessage, formatMoney, ResourceView, useAction, useResource } from '../../../../shared/web/ui.tsx';
import { api, session } from '../api.ts';
import { cart, useCartLines } from '../cart.ts';
import { checkQuantity, maxPerProduct } from '../quantity.ts';
import { ProductThumb, StockBadge, useAvailability } from './common.tsx';

const labels = { quantity: 'Quantity', 'items.*.quantity': 'Quantity' };

export function ProductPage({ id }: { id: string }) {
  const product = useResource((signal) => api.product(id, signal), [id]);
  const stock = useAvailability([id]);
  const availability = stock.data?.get(id);
  const soldOut = availability?.status === 'out_of_stock';
  const inCart = useCartLines().find((line) => line.productId === id)?.quantity ?? 0;
  // What was typed, as typed: a wrong quantity is named, never replaced by another.
  const [quantity, setQuantity] = useState('1');
  const [added, setAdded] = useState<number>();
  const add = useAction(async () => {
    const units = checkQuantity(quantity, { inCart, left: availability?.left });
    await cart.add(id, units);
    setAdded(units);
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!session.get()) return navigate(`/login?next=${encodeURIComponent(`/products/${id}`)}`);
    setAdded(undefined);
    void add.run();
  };

  return (
    <ResourceView resource={product} label="Loading product…">
      {(p) => (
        <article className="card product-detail">
          <ProductThumb name={p.name} category={p.category} />
          <div className="stack">
            <p className="muted small">
              <Link to={`/?category=${encodeURIComponent(p.category)}`}>{p.category}</Link> · SKU {p.sku}
            </p>
            <h1>{p.name}</h1>
            <p className="price" aria-label="Price">
              {formatMoney(p.price.amount, p.price.currency)}
            </p>
            <p>{p.description || <span className="muted">No description.</span>}</p>
            <StockBadge availability={availability} />
            {soldOut ? (
              <p className="muted">Out of stock for now: it cannot be added to a cart.</p>
            ) : (
              <form className="row" onSubmit={submit} aria-label="Add to cart" noValidate>
                <label>
                  Quantity
                  <input type="number" inputMode="numeric" min={1} max={maxPerProduct} value={quantity} onChange={(e) => setQuantity(e.target.value)} />
                  <FieldMessage error={add.error} field="quantity" labels={labels} />
                </label>
                <button type="submit" className="button-primary" disabled={add.busy}>
                  {add.busy ? 'Adding…' : 'Add to cart'}
                </button>
              </form>
            )}
            <ErrorNotice error={add.error} labels={labels} inline={['quantity']} />
            {added !== undefined && (
              <p className="notice notice-ok" role="status">
                Added to your cart ({added === 1 ? '1 unit' : `${added} units`}). <Link to="/cart">Go to cart</Link>
              </p>
            )}
          </div>
        </article>
      )}
    </ResourceView>
  );
}
