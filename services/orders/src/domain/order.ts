/** Pure order rules: request normalisation, pricing, idempotency fingerprint, saga state machine. */
import { createHash } from 'node:crypto';

export type OrderStatus = 'PENDING' | 'CONFIRMED' | 'CANCELLED';

export const MAX_LINES = 50;
export const MAX_QUANTITY = 1000;

export interface RequestedLine {
  productId: string;
  quantity: number;
}

export interface CatalogProduct {
  productId: string;
  sku: string;
  name: string;
  priceCents: number;
  currency: string;
  active: boolean;
}

export interface PricedLine {
  productId: string;
  sku: string;
  name: string;
  quantity: number;
  unitPriceCents: number;
}

/** A business rule failure when placing an order; the API maps `code` to a problem slug (422). */
export class OrderRejection extends Error {
  readonly code: string;
  readonly productIds: string[];
  constructor(code: string, message: string, productIds: string[] = []) {
    super(message);
    this.code = code;
    this.productIds = productIds;
  }
}

/**
 * Duplicate productIds are merged (quantities summed) and lines are sorted by productId, so the
 * same logical order always has the same shape. The merged quantity must still be within 1..1000.
 */
export function normalizeLines(lines: RequestedLine[]): RequestedLine[] {
  const merged = new Map<string, number>();
  for (const { productId, quantity } of lines) {
    merged.set(productId.toLowerCase(), (merged.get(productId.toLowerCase()) ?? 0) + quantity);
  }
  const tooMany = [...merged].filter(([, quantity]) => quantity > MAX_QUANTITY).map(([id]) => id);
  if (tooMany.length > 0) {
    throw new OrderRejection('quantity-too-large', `Quantity above ${MAX_QUANTITY} for product ${tooMany.join(', ')}`, tooMany);
  }
  return [...merged]
    .map(([productId, quantity]) => ({ productId, quantity }))
    .sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0));
}

/** Prices lines from the catalog read model; the client's view of prices is never trusted. */
export function priceLines(
  lines: RequestedLine[],
  products: Map<string, CatalogProduct>,
): { items: PricedLine[]; totalCents: number; currency: string } {
  const unknown = lines.filter((l) => !products.get(l.productId)?.active).map((l) => l.productId);
  if (unknown.length > 0) {
    throw new OrderRejection('unknown-product', `Unknown or inactive product: ${unknown.join(', ')}`, unknown);
  }
  const items = lines.map((l) => {
    const p = products.get(l.productId)!;
    return { productId: p.productId, sku: p.sku, name: p.name, quantity: l.quantity, unitPriceCents: p.priceCents };
  });
  const currencies = new Set(lines.map((l) => products.get(l.productId)!.currency));
  if (currencies.size > 1) {
    throw new OrderRejection('mixed-currency', `An order must use one currency, got ${[...currencies].join(', ')}`);
  }
  const totalCents = items.reduce((sum, i) => sum + i.quantity * i.unitPriceCents, 0);
  if (!Number.isSafeInteger(totalCents)) throw new OrderRejection('total-too-large', 'Order total is too large');
  return { items, totalCents, currency: [...currencies][0] };
}

/** Fingerprint of a normalised request; an Idempotency-Key may only be replayed with the same one. */
export function requestFingerprint(lines: RequestedLine[], paymentToken: string): string {
  return createHash('sha256').update(JSON.stringify({ lines, paymentToken })).digest('hex');
}

/** Events that can move an order; anything else is only recorded in its history. */
export type SagaInput =
  | { type: 'StockRejected'; reason: string }
  | { type: 'PaymentDeclined'; reason: string }
  | { type: 'PaymentAuthorized' }
  | { type: 'Timeout' };

export type Transition =
  | { outcome: 'confirm' }
  | { outcome: 'cancel'; reason: string }
  | { outcome: 'ignore'; note: string };

/** The saga state machine: only a PENDING order moves; a final order never changes. */
export function decide(status: OrderStatus, input: SagaInput): Transition {
  if (status !== 'PENDING') return { outcome: 'ignore', note: `order already ${status}` };
  switch (input.type) {
    case 'PaymentAuthorized':
      return { outcome: 'confirm' };
    case 'StockRejected':
      return { outcome: 'cancel', reason: input.reason };
    case 'PaymentDeclined':
      return { outcome: 'cancel', reason: `payment_declined: ${input.reason}`.slice(0, 200) };
    case 'Timeout':
      return { outcome: 'cancel', reason: 'saga_timeout' };
  }
}
