// Wire types the web apps share: what the services answer through the gateway.

/** A page of a keyset-paginated list. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** A catalog product (`/api/v2/products`). */
export interface Product {
  id: string;
  sku: string;
  name: string;
  description: string;
  category: string;
  price: { amount: number; currency: string };
  active: boolean;
  createdAt: string;
  updatedAt: string;
}

/** One line of the logging service's index (`/api/v1/ops/logs`). */
export interface LogEntry {
  id: string;
  time: string;
  service: string;
  level: string;
  instance: string | null;
  msg: string;
  traceId: string | null;
  spanId: string | null;
  reqId: string | null;
  data: Record<string, unknown>;
}

/** `?a=1&b=x` from the defined, non-empty parameters; '' when there are none. */
export const query = (params: Record<string, string | number | boolean | undefined>) => {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(name, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
};
