import { useState, type FormEvent } from 'react';
import { Link, navigate, useLocation } from '../../../../shared/web/router.tsx';
import { formatMoney, Pager, ResourceView, useCursorPages, useResource } from '../../../../shared/web/ui.tsx';
import { api } from '../api.ts';
import { ProductThumb, StockBadge, useAvailability } from './common.tsx';

export function CatalogPage() {
  const { query } = useLocation();
  const q = query.get('q') ?? '';
  const category = query.get('category') ?? '';
  const [draft, setDraft] = useState(q);
  const pages = useCursorPages(`${q}|${category}`);
  const categories = useResource((signal) => api.categories(signal), []);
  const products = useResource(
    (signal) => api.products({ q: q || undefined, category: category || undefined, cursor: pages.cursor, limit: 12 }, signal),
    [q, category, pages.cursor],
  );

  const stock = useAvailability(products.data?.items.map((p) => p.id) ?? []);

  const apply = (next: { q?: string; category?: string }) => {
    const params = new URLSearchParams();
    const nextQ = next.q ?? q;
    const nextCategory = next.category ?? category;
    if (nextQ) params.set('q', nextQ);
    if (nextCategory) params.set('category', nextCategory);
    navigate(params.size ? `/?${params}` : '/');
  };
  const search = (event: FormEvent) => {
    event.preventDefault();
    apply({ q: draft.trim() });
  };

  return (
    <div className="stack">
      <form className="row" role="search" onSubmit={search}>
        <label style={{ flex: '2 1 260px' }}>
          Search products
          <input type="search" value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="Name, description or SKU" />
        </label>
        <label style={{ flex: '1 1 160px' }}>
          Category
          <select value={category} onChange={(e) => apply({ category: e.target.value })}>
            <option value="">All categories</option>
            {categories.data?.items.map((c) => (
              <option key={c.name} value={c.name}>
                {c.name} ({c.count})
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="button-primary">
          Search
        </button>
      </form>
      {(q || category) && (
        <p className="muted small">
          Showing {q && <>results for “{q}”</>} {category && <>in {category}</>} ·{' '}
          <button
            type="button"
            className="button-link"
            onClick={() => {
              setDraft('');
              navigate('/');
            }}
          >
            Clear filters
          </button>
        </p>
      )}
      <ResourceView resource={products} label="Loading products…">
        {(page) =>
          page.items.length === 0 ? (
            <div className="card">
              <p>No products match. Try another search or category.</p>
            </div>
          ) : (
            <>
              <ul className="grid product-grid" aria-label="Products">
                {page.items.map((product) => {
                  const availability = stock.data?.get(product.id);
                  return (
                    <li key={product.id}>
                      <Link to={`/products/${product.id}`} className={`card product-card${availability?.status === 'out_of_stock' ? ' product-card-out' : ''}`}>
                        <ProductThumb name={product.name} category={product.category} />
                        <h2>{product.name}</h2>
                        <span className="muted small">{product.category}</span>
                        <span className="price">{formatMoney(product.price.amount, product.price.currency)}</span>
                        <StockBadge availability={availability} />
                      </Link>
                    </li>
                  );
                })}
              </ul>
              <Pager
                hasPrevious={pages.page > 1}
                hasNext={Boolean(page.nextCursor)}
                onPrevious={pages.previous}
                onNext={() => page.nextCursor && pages.next(page.nextCursor)}
              />
            </>
          )
        }
      </ResourceView>
    </div>
  );
}
