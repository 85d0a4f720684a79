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
