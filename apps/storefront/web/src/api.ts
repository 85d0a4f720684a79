import { request } from '../../../shared/web/api.ts';
import { createSessionStore } from '../../../shared/web/session.ts';
import { type OrderSummary, type Page, type Product, query } from '../../../shared/web/types.ts';

export type { Page, Product };

export const session = createSessionStore('meridian.storefront.token');
const token = () => session.get()?.token ?? null;

export interface Availability {
  productId: string;
  status: 'in_stock' | 'low' | 'out_of_stock';
  /** Units left when `low`. */
  left?: number;
}
export interface CartLine {
  productId: string;
  quantity: number;
}
/** A customer's order (the same shape as the back office's list, which also carries the trace id). */
export type Order = Omit<OrderSummary, 'traceId'>;


export const api = {
  products: (params: { q?: string; category?: string; cursor?: string; limit?: number }, signal?: AbortSignal) =>
    request<Page<Product>>(`/api/v2/products${query(params)}`, { signal }),
  product: (id: string, signal?: AbortSignal) => request<Product>(`/api/v2/products/${encodeURIComponent(id)}`, { signal }),
  availability: (productIds: string[], signal?: AbortSignal) =>
    request<{ items: Availability[] }>(`/app-api/availability?productIds=${productIds.join(',')}`, { signal }),
  categories: (signal?: AbortSignal) => request<{ items: { name: string; count: number }[] }>('/api/v1/categories', { signal }),
  register: (body: { email: string; password: string; name: string }) => request('/api/v1/auth/register', { method: 'POST', body }),
  cart: (signal?: AbortSignal) => request<{ items: CartLine[] }>('/app-api/cart', { token: token(), signal }),
  saveCart: (items: CartLine[]) => request<{ items: CartLine[] }>('/app-api/cart', { method: 'PUT', body: { items }, token: token() }),
  clearCart: () => request<void>('/app-api/cart', { method: 'DELETE', token: token() }),
  placeOrder: (body: { items: CartLine[]; paymentToken: string }, idempotencyKey: string) =>
    request<{ id: string; status: string }>('/api/v1/orders', { method: 'POST', body, token: token(), headers: { 'idempotency-key': idempotencyKey } }),
  order: (id: string, signal?: AbortSignal) => request<Order>(`/api/v1/orders/${encodeURIComponent(id)}`, { token: token(), signal }),
  orders: (cursor: string | undefined, signal?: AbortSignal) => request<Page<Order>>(`/api/v1/orders${query({ cursor, limit: 20 })}`, { token: token(), signal }),
};
