/** Helpers for the platform scenario tests: everything goes through the gateway's public HTTP API. */
import { randomUUID } from 'node:crypto';
import { gatewayUrl, waitFor } from '@meridian/testkit';

export const gateway = gatewayUrl();
export { waitFor };

export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export async function api<T = any>(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(gateway + path, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, headers: res.headers, body: body as T };
}

/** Asserts the status, with the response in the failure message. */
export function expectStatus<T>(reply: Reply<T>, status: number, what: string): T {
  if (reply.status !== status) {
    throw new Error(`${what}: expected ${status}, got ${reply.status} ${JSON.stringify(reply.body)}`);
  }
  return reply.body;
}

export interface Session {
  id: string;
  email: string;
  token: string;
}

/** Logs in; a 429 from the login rate limit (shared staff account, repeated runs) waits out its Retry-After once. */
async function login(email: string, password: string): Promise<string> {
  let reply = await api('POST', '/api/v1/auth/login', { body: { email, password } });
  const retryAfter = Number(reply.headers.get('retry-after'));
  if (reply.status === 429 && retryAfter > 0 && retryAfter <= 60) {
    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
    reply = await api('POST', '/api/v1/auth/login', { body: { email, password } });
  }
  return expectStatus(reply, 200, `login ${email}`).accessToken;
}

export async function registerCustomer(): Promise<Session> {
  const email = `shopper-${randomUUID().slice(0, 12)}@example.com`;
  const password = 'correct horse battery';
  const user = expectStatus(
    await api('POST', '/api/v1/auth/register', { body: { email, password, name: 'Scenario Shopper' } }),
    201,
    'register',
  );
  return { id: user.id, email, token: await login(email, password) };
}

export async function staffLogin(): Promise<string> {
  return login(process.env.STAFF_EMAIL ?? 'staff@meridian.local', process.env.STAFF_PASSWORD ?? 'staff-password');
}

export interface Product {
  id: string;
  sku: string;
  name: string;
  priceCents: number;
}

/** Creates a product with a unique sku/name and sets its stock. */
export async function createStockedProduct(staff: string, available: number, priceCents = 1999): Promise<Product> {
  const tag = randomUUID().slice(0, 8);
  const product = expectStatus(
    await api('POST', '/api/v1/products', {
      token: staff,
      body: {
        sku: `SYS-${tag}`,
        name: `Scenario lamp ${tag}`,
        description: 'A lamp made for platform scenario tests',
        category: 'Scenario',
        priceCents,
        currency: 'EUR',
      },
    }),
    201,
    'create product',
  );
  await setStock(staff, product.id, available);
  return product;
}

export async function setStock(staff: string, productId: string, available: number): Promise<void> {
  const reply = await api('PUT', `/api/v1/inventory/${productId}`, { token: staff, body: { available } });
  if (reply.status !== 200 && reply.status !== 204) expectStatus(reply, 200, 'set stock');
}

export async function stockOf(token: string, productId: string): Promise<{ available: number; reserved: number }> {
  return expectStatus(await api('GET', `/api/v1/inventory/${productId}`, { token }), 200, 'read stock');
}

/**
 * Places an order. The orders service learns products from catalog events, so right after a product
 * is created it may still answer 422 unknown-product: that is retried (nothing was stored for the key).
 * A 503 `overloaded` (another test's burst filled the saga) is retried after its Retry-After, as a
 * client should; it stored nothing either.
 */
export async function placeOrder(
  token: string,
  items: { productId: string; quantity: number }[],
  paymentToken = 'tok_visa',
  idempotencyKey: string = randomUUID(),
): Promise<Reply<{ id: string; status: string; type?: string }>> {
  return waitFor(
    async () => {
      const reply = await api('POST', '/api/v1/orders', {
        token,
        body: { items, paymentToken },
        headers: { 'idempotency-key': idempotencyKey },
      });
      const unknownProduct = reply.status === 422 && (reply.body as { type?: string }).type?.endsWith('/unknown-product');
      const overloaded = reply.status === 503 && (reply.body as { type?: string }).type?.endsWith('/overloaded');
      if (overloaded) await new Promise((resolve) => setTimeout(resolve, Number(reply.headers.get('retry-after') ?? 1) * 1000));
      return unknownProduct || overloaded ? undefined : reply;
    },
    { timeoutMs: 90_000, intervalMs: 200, message: 'the orders service to know the product and take the order' },
  );
}

export interface Order {
  id: string;
  status: 'PENDING' | 'CONFIRMED' | 'CANCELLED';
  reason?: string;
  totalCents: number;
  currency: string;
  items: { productId: string; quantity: number; unitPriceCents: number }[];
}

export async function finalOrder(token: string, orderId: string, timeoutMs = 30_000): Promise<Order> {
  return waitFor(
    async () => {
      const order = expectStatus(await api<Order>('GET', `/api/v1/orders/${orderId}`, { token }), 200, 'read order');
      return order.status === 'PENDING' ? undefined : order;
    },
    { timeoutMs, intervalMs: 200, message: `order ${orderId} to leave PENDING` },
  );
}

export interface Notification {
  orderId: string;
  template: string;
  recipient: string;
  sourceEventId: string;
}

/** Waits until at least `expected` notifications of the order exist and returns all of them. */
export async function notificationsOf(token: string, orderId: string, expected: number): Promise<Notification[]> {
  const read = async () =>
    expectStatus(await api('GET', `/api/v1/notifications?orderId=${orderId}`, { token }), 200, 'list notifications')
      .items as Notification[];
  const found = await waitFor(async () => {
    const items = await read();
    return items.length >= expected ? items : undefined;
  }, { timeoutMs: 20_000, intervalMs: 200, message: `notifications for order ${orderId}` });
  return found;
}
