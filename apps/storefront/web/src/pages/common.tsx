import { useResource, type Resource } from '../../../../shared/web/ui.tsx';
import { api, type Availability } from '../api.ts';

/** A stable colour and monogram per product, standing in for product photos. */
export function ProductThumb({ name, category }: { name: string; category: string }) {
  let hash = 0;
  for (const char of category) hash = (hash * 31 + char.charCodeAt(0)) % 360;
  return (
    <div className="product-thumb" style={{ background: `hsl(${hash} 45% 45%)` }} aria-hidden="true">
      {name.slice(0, 1).toUpperCase()}
    </div>
  );
}

/** Availability of `productIds` by id; empty while loading or when it cannot be read (then nothing is shown). */
export function useAvailability(productIds: string[]): Resource<Map<string, Availability>> {
  const key = productIds.join(',');
  return useResource(
    async (signal) => (key ? new Map((await api.availability(productIds, signal)).items.map((a) => [a.productId, a])) : new Map()),
    [key],
  );
}

/** "In stock", "Only 3 left" or "Out of stock"; nothing while unknown. */
export function StockBadge({ availability }: { availability: Availability | undefined }) {
  if (!availability) return null;
  const text = availability.status === 'out_of_stock' ? 'Out of stock' : availability.status === 'low' ? `Only ${availability.left} left` : 'In stock';
  return (
    <span className={`stock stock-${availability.status}`} data-testid="stock">
      {text}
    </span>
  );
}
