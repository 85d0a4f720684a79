import { useState, type FormEvent } from 'react';
import { ApiError } from '../../../../shared/web/api.ts';
import { Link, navigate } from '../../../../shared/web/router.tsx';
import { ErrorNotice, FieldMessage, formatTime, Loading, ResourceView, useAction, useResource } from '../../../../shared/web/ui.tsx';
import { api, formatPriceInput, parsePrice, type Product } from '../api.ts';
import { StockEditor } from './StockPage.tsx';

interface Draft {
  sku: string;
  name: string;
  description: string;
  category: string;
  price: string;
  currency: string;
}

const draftOf = (p?: Product): Draft => ({
  sku: p?.sku ?? '',
  name: p?.name ?? '',
  description: p?.description ?? '',
  category: p?.category ?? '',
  price: p ? formatPriceInput(p.price.amount) : '',
  currency: p?.price.currency ?? 'EUR',
});

/** How the product form's inputs are called, by the request field they fill. */
const labels = { sku: 'SKU', name: 'Name', description: 'Description', category: 'Category', price: 'Price', 'price.amount': 'Price', 'price.currency': 'Currency' };
const inlineFields = Object.keys(labels);

function ProductForm({ product, onSaved }: { product?: Product; onSaved(product: Product): void }) {
  const [draft, setDraft] = useState<Draft>(() => draftOf(product));
  const [saved, setSaved] = useState(false);
  const field = (name: keyof Draft) => ({
    value: draft[name],
    onChange: (e: { target: { value: string } }) => setDraft({ ...draft, [name]: e.target.value }),
  });
  const save = useAction(async () => {
    const amount = parsePrice(draft.price);
    if (Number.isNaN(amount)) {
      throw new ApiError(400, 'Invalid price', 'Enter a price like 12.50.', undefined, [
        { field: 'price.amount', message: 'Enter a price like 12.50', keyword: 'type', params: { type: 'number' } },
      ]);
    }
    const body = {
      name: draft.name.trim(),
      description: draft.description,
      category: draft.category.trim(),
      price: { amount, currency: draft.currency.trim().toUpperCase() },
    };
    const result = product ? await api.updateProduct(product.id, body) : await api.createProduct({ ...body, sku: draft.sku.trim() });
    setSaved(true);
    onSaved(result);
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    void save.run();
  };
  return (
    <form className="card form" onSubmit={submit} aria-label={product ? 'Edit product' : 'New product'}>
      <label>
        SKU
        <input required readOnly={Boolean(product)} {...field('sku')} />
        <FieldMessage error={save.error} field="sku" labels={labels} />
      </label>
      {/* No maxLength on the inputs: a browser would cut pasted text silently; the service names the limit instead. */}
      <label>
        Name
        <input required {...field('name')} />
        <FieldMessage error={save.error} field="name" labels={labels} />
      </label>
      <label>
        Description
        <textarea {...field('description')} />
        <FieldMessage error={save.error} field="description" labels={labels} />
      </label>
      <label>
        Category
        <input required {...field('category')} />
        <FieldMessage error={save.error} field="category" labels={labels} />
      </label>
      <div className="row">
        <label style={{ flex: '1 1 140px' }}>
          Price
          <input required inputMode="decimal" placeholder="12.50" {...field('price')} />
          <FieldMessage error={save.error} field="price.amount" labels={labels} />
        </label>
        <label style={{ flex: '0 1 100px' }}>
          Currency
          <input required {...field('currency')} />
          <FieldMessage error={save.error} field="price.currency" labels={labels} />
        </label>
      </div>
      <ErrorNotice error={save.error} labels={labels} inline={inlineFields} />
      {saved && (
        <p className="notice notice-ok" role="status">
          Saved.
        </p>
      )}
      <button type="submit" className="button-primary" disabled={save.busy}>
        {save.busy ? 'Saving…' : product ? 'Save changes' : 'Create product'}
      </button>
    </form>
  );
}

export function ProductEditPage({ id }: { id?: string }) {
  const product = useResource((signal) => (id ? api.product(id, signal) : Promise.resolve(undefined)), [id]);
  const [current, setCurrent] = useState<Product>();
  const toggle = useAction(async (active: boolean) => setCurrent(await api.updateProduct(id!, { active })));

  if (!id) {
    return (
      <div className="stack">
        <p>
          <Link to="/products">← Products</Link>
        </p>
        <h1>New product</h1>
        <ProductForm onSaved={(created) => navigate(`/products/${created.id}`, { replace: true })} />
      </div>
    );
  }
  return (
    <ResourceView resource={product} label="Loading product…">
      {(loaded) => {
        const p = current ?? loaded!;
        return (
          <div className="stack">
            <p>
              <Link to="/products">← Products</Link>
            </p>
            <div className="spread">
              <h1 style={{ margin: 0 }}>{p.name}</h1>
              <span className={`badge ${p.active ? 'badge-active' : 'badge-inactive'}`}>{p.active ? 'Active' : 'Inactive'}</span>
            </div>
            <p className="muted small">
              Created {formatTime(p.createdAt)} · updated {formatTime(p.updatedAt)}
            </p>
            <ProductForm product={p} onSaved={setCurrent} />
            <section className="card stack" aria-label="Availability">
              <h2 style={{ margin: 0 }}>Availability</h2>
              <p className="muted small" style={{ margin: 0 }}>
                {p.active ? 'Customers can find and order this product.' : 'Hidden from the shop; existing orders are unaffected.'}
              </p>
              <ErrorNotice error={toggle.error} />
              {toggle.busy ? (
                <Loading label="Updating…" />
              ) : p.active ? (
                <button type="button" className="button-danger" onClick={() => void toggle.run(false)}>
                  Deactivate product
                </button>
              ) : (
                <button type="button" onClick={() => void toggle.run(true)}>
                  Reactivate product
                </button>
              )}
            </section>
            <section className="card stack" aria-label="Stock">
              <h2 style={{ margin: 0 }}>Stock</h2>
              <StockEditor productId={p.id} />
            </section>
          </div>
        );
      }}
    </ResourceView>
  );
}
