import { useState, type FormEvent } from 'react';
import { Link } from '../../../../shared/web/router.tsx';
import { formatMoney, formatTime, useCursorPages, useResource, PagedTable } from '../../../../shared/web/ui.tsx';
import { api } from '../api.ts';

export function ProductsPage() {
  const [draft, setDraft] = useState('');
  const [q, setQ] = useState('');
  const [includeInactive, setIncludeInactive] = useState(true);
  const pages = useCursorPages(`${q}|${includeInactive}`);
  const products = useResource(
    (signal) => api.products({ q: q || undefined, includeInactive, cursor: pages.cursor, limit: 25 }, signal),
    [q, includeInactive, pages.cursor],
  );
  const search = (event: FormEvent) => {
    event.preventDefault();
    setQ(draft.trim());
  };
  return (
    <div className="stack">
      <div className="spread">
        <h1 style={{ margin: 0 }}>Products</h1>
        <Link to="/products/new" className="button-primary" style={{ padding: '0.5rem 0.9rem', borderRadius: 8, textDecoration: 'none' }}>
          New product
        </Link>
      </div>
      <form className="row" role="search" onSubmit={search}>
        <label style={{ flex: '2 1 260px' }}>
          Search products
          <input type="search" value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="Name, description or SKU" />
        </label>
        <label className="inline">
          <input type="checkbox" checked={includeInactive} onChange={(e) => setIncludeInactive(e.target.checked)} />
          Include inactive
        </label>
        <button type="submit">Search</button>
      </form>
      <PagedTable resource={products} pages={pages} loading="Loading products…" columns={['Name', 'SKU', 'Category', { label: 'Price', num: true }, 'Status', 'Updated']} empty="No products found.">
          {(p) => (
            <tr key={p.id}>
              <td>
                <Link to={`/products/${p.id}`} aria-label={`Edit ${p.name}`}>
                  {p.name}
                </Link>
              </td>
              <td className="mono">{p.sku}</td>
              <td>{p.category}</td>
              <td className="num">{formatMoney(p.price.amount, p.price.currency)}</td>
              <td>
                <span className={`badge ${p.active ? 'badge-active' : 'badge-inactive'}`}>{p.active ? 'Active' : 'Inactive'}</span>
              </td>
              <td className="small">{formatTime(p.updatedAt)}</td>
            </tr>
          )}
      </PagedTable>
    </div>
  );
}
