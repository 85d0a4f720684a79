import { useState, type FormEvent } from 'react';
import { Link } from '../../../../shared/web/router.tsx';
import { ErrorNotice, Pager, ResourceView, useAction, useCursorPages, useResource } from '../../../../shared/web/ui.tsx';
import { api, type StockLevel } from '../api.ts';

/** Shows a product's stock and sets its available units. */
export function StockEditor({ productId, initial, name }: { productId: string; initial?: StockLevel | null; name?: string }) {
  const level = useResource(
    async (signal) => (initial !== undefined ? initial : ((await api.stocks([productId], signal)).items[0] ?? null)),
    [productId],
  );
  const [value, setValue] = useState('');
  const [shown, setShown] = useState<StockLevel | null>();
  const save = useAction(async () => {
    const updated = await api.setStock(productId, Number(value));
    setShown(updated);
    setValue('');
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void save.run();
  };
  return (
    <ResourceView resource={level} label="Loading stock…">
      {(loaded) => {
        const current = shown ?? loaded;
        return (
          <form className="row" onSubmit={submit} aria-label={`Stock of ${name ?? 'product'}`}>
            <span style={{ minWidth: '11rem' }}>
              <strong data-testid="stock-available">{current ? current.available : 0}</strong> available ·{' '}
              <span className="muted">{current ? current.reserved : 0} reserved</span>
              {!current && <span className="muted small"> (never stocked)</span>}
            </span>
            <label className="inline">
              <span className="small">Set available</span>
              <input type="number" min={0} required value={value} onChange={(e) => setValue(e.target.value)} style={{ width: '7rem' }} aria-label={`Available units${name ? ` of ${name}` : ''}`} />
            </label>
            <button type="submit" disabled={save.busy}>
              {save.busy ? 'Saving…' : 'Update stock'}
            </button>
            <ErrorNotice error={save.error} />
          </form>
        );
      }}
    </ResourceView>
  );
}

export function StockPage() {
  const [draft, setDraft] = useState('');
  const [q, setQ] = useState('');
  const pages = useCursorPages(q);
  const data = useResource(
    async (signal) => {
      const page = await api.products({ q: q || undefined, cursor: pages.cursor, limit: 20 }, signal);
      const levels = await api.stocks(page.items.map((p) => p.id), signal);
      return { page, levels: new Map(levels.items.map((l) => [l.productId, l])) };
    },
    [q, pages.cursor],
  );
  return (
    <div className="stack">
      <h1>Stock levels</h1>
      <form
        className="row"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setQ(draft.trim());
        }}
      >
        <label style={{ flex: '2 1 260px' }}>
          Search products
          <input type="search" value={draft} onChange={(e) => setDraft(e.target.value)} />
        </label>
        <button type="submit">Search</button>
      </form>
      <ResourceView resource={data} label="Loading stock levels…">
        {({ page, levels }) => (
          <>
            <ul className="stack" style={{ listStyle: 'none', padding: 0 }}>
              {page.items.length === 0 && <li className="card muted">No products found.</li>}
              {page.items.map((p) => (
                <li key={p.id} className="card stack">
                  <Link to={`/products/${p.id}`}>{p.name}</Link>
                  <StockEditor productId={p.id} name={p.name} initial={levels.get(p.id) ?? null} />
                </li>
              ))}
            </ul>
            <Pager hasPrevious={pages.page > 1} hasNext={Boolean(page.nextCursor)} onPrevious={pages.previous} onNext={() => page.nextCursor && pages.next(page.nextCursor)} />
          </>
        )}
      </ResourceView>
    </div>
  );
}
