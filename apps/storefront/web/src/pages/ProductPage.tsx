import { useState, type FormEvent } from 'react';
import { Link, navigate } from '../../../../shared/web/router.tsx';
import { ErrorNotice, formatMoney, ResourceView, useAction, useResource } from '../../../../shared/web/ui.tsx';
import { api, session } from '../api.ts';
import { cart } from '../cart.ts';
import { ProductThumb } from './common.tsx';

export function ProductPage({ id }: { id: string }) {
  const product = useResource((signal) => api.product(id, signal), [id]);
  const [quantity, setQuantity] = useState(1);
  const [added, setAdded] = useState(false);
  const add = useAction(async () => {
    await cart.add(id, quantity);
    setAdded(true);
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!session.get()) return navigate(`/login?next=${encodeURIComponent(`/products/${id}`)}`);
    setAdded(false);
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
            <form className="row" onSubmit={submit}>
              <label>
                Quantity
                <input type="number" min={1} max={1000} value={quantity} onChange={(e) => setQuantity(Math.max(1, Number(e.target.value) || 1))} />
              </label>
              <button type="submit" className="button-primary" disabled={add.busy}>
                {add.busy ? 'Adding…' : 'Add to cart'}
              </button>
            </form>
            <ErrorNotice error={add.error} />
            {added && (
              <p className="notice notice-ok" role="status">
                Added to your cart. <Link to="/cart">Go to cart</Link>
              </p>
            )}
          </div>
        </article>
      )}
    </ResourceView>
  );
}
