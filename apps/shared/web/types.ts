// Wire types the web apps share: what the services answer through the gateway.

/** A page of a keyset-paginated list. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

// Generated from the services' OpenAPI documents (`npm run api:types`), so the compiler checks the apps against what the services answer.
export type { AdminOrder, LogEntry, Notification, Product, StockLevel } from './api.generated.ts';
import type { AdminOrder } from './api.generated.ts';

/** An order as a list shows it (the detail adds its event history). */
export type OrderSummary = Omit<AdminOrder, 'history'>;

/** `?a=1&b=x` from the defined, non-empty parameters; '' when there are none. */
export const query = (params: Record<string, string | number | boolean | undefined>) => {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(name, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
};
