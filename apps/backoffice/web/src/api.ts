import { request } from '../../../shared/web/api.ts';
import { createSessionStore } from '../../../shared/web/session.ts';
import { type AdminOrder, type LogEntry, type Notification, type OrderSummary, type Page, type Product, query, type StockLevel } from '../../../shared/web/types.ts';

export { type LogEntry, type Notification, type Page, type Product, query, type StockLevel };

export const session = createSessionStore('meridian.backoffice.token');
const token = () => session.get()?.token ?? null;

export interface ProductInput {
  sku?: string;
  name: string;
  description: string;
  category: string;
  price: { amount: number; currency: string };
}
export type Order = OrderSummary;
export type HistoryEntry = AdminOrder['history'][number];

export const api = {
  products: (params: { q?: string; includeInactive?: boolean; cursor?: string; limit?: number }, signal?: AbortSignal) =>
    request<Page<Product>>(`/api/v2/products${query(params)}`, { token: token(), signal }),
  product: (id: string, signal?: AbortSignal) => request<Product>(`/api/v2/products/${id}`, { token: token(), signal }),
  createProduct: (body: ProductInput & { sku: string }) => request<Product>('/api/v2/products', { method: 'POST', body, token: token() }),
  updateProduct: (id: string, body: Partial<ProductInput> & { active?: boolean }) =>
    request<Product>(`/api/v2/products/${id}`, { method: 'PATCH', body, token: token() }),
  stocks: (productIds: string[], signal?: AbortSignal) =>
    productIds.length === 0
      ? Promise.resolve({ items: [] as StockLevel[] })
      : request<{ items: StockLevel[] }>(`/api/v1/inventory${query({ productIds: productIds.join(',') })}`, { token: token(), signal }),
  setStock: (productId: string, available: number) =>
    request<StockLevel>(`/api/v1/inventory/${productId}`, { method: 'PUT', body: { available }, token: token() }),
  orders: (filters: { status?: string; customerId?: string; from?: string; to?: string; cursor?: string }, signal?: AbortSignal) =>
    request<Page<Order>>(`/api/v1/admin/orders${query({ ...filters, limit: 25 })}`, { token: token(), signal }),
  order: (id: string, signal?: AbortSignal) => request<AdminOrder>(`/api/v1/admin/orders/${id}`, { token: token(), signal }),
  /** Every log line of a trace, oldest first (the logging service, through the gateway). */
  traceLogs: (traceId: string, signal?: AbortSignal) =>
    request<Page<LogEntry>>(`/api/v1/ops/logs${query({ traceId, order: 'asc', limit: 500 })}`, { token: token(), signal }),
  /** Where the ops console runs, from the back-office server (null when none is ready). */
  config: (signal?: AbortSignal) => request<{ opsConsoleUrl: string | null; zipkinUrl: string | null }>('/app-api/config', { token: token(), signal }),
  notifications: (params: { orderId?: string; cursor?: string }, signal?: AbortSignal) =>
    request<Page<Notification>>(`/api/v1/notifications${query({ ...params, limit: 25 })}`, { token: token(), signal }),
};

/** "12.5" → 1250 minor units; NaN when it is not a price. */
export function parsePrice(text: string): number {
  const trimmed = text.trim().replace(',', '.');
  if (!/^\d+(\.\d{1,2})?$/.test(trimmed)) return Number.NaN;
  return Math.round(Number(trimmed) * 100);
}
export const formatPriceInput = (cents: number) => (cents / 100).toFixed(2);
