/** The orders application layer: placing orders and moving them through the saga. */
import { randomUUID } from 'node:crypto';
import type { Sql, TransactionSql } from 'postgres';
import {
  OrderCancelled,
  OrderConfirmed,
  OrderPlaced,
  type OrderPlacedV2,
  type PaymentAuthorized,
  type PaymentDeclined,
  type StockRejected,
  type StockReleased,
  type StockReserved,
} from '@meridian/contracts';
import type { EventOf, EventVersion, Outbox } from '@meridian/messaging';
import { currentTraceId, withSpan } from '@meridian/telemetry';
import {
  decide,
  normalizeLines,
  priceLines,
  requestFingerprint,
  type RequestedLine,
  type SagaInput,
  type Transition,
} from './domain/order.ts';
import * as repo from './db/repository.ts';
import type { OrderMetrics } from './metrics.ts';

export interface Customer {
  id: string;
  email?: string;
}

export interface PlaceOrderRequest {
  items: RequestedLine[];
  paymentToken: string;
  idempotencyKey: string;
}

export type PlaceOrderResult =
  | { kind: 'created'; id: string }
  | { kind: 'replayed'; id: string }
  | { kind: 'key-reused'; id: string };

/** An incoming saga event, as the consumer hands it over: typed per event type and version. */
export type SagaEvent =
  | EventOf<typeof StockReserved>
  | EventOf<typeof StockRejected>
  | EventOf<typeof StockReleased>
  | EventOf<typeof PaymentAuthorized>
  | EventOf<typeof PaymentDeclined>;

/** A statement of the caller's transaction, started when called. */
type Statement = () => Promise<unknown>;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The customer's email for an outcome event (v2), when the order has one: notifications writes to it. */
const contactOf = (order: repo.OrderRow): { customerEmail?: string } => (order.customerEmail ? { customerEmail: order.customerEmail } : {});

export function createOrders(deps: { sql: Sql; outbox: Outbox; metrics: OrderMetrics; source: string }) {
  const { sql, outbox, metrics, source } = deps;

  /**
   * Writes the event to the outbox and the order's history, and runs the `alongside` statements of the
   * same transaction with them (none depends on another): one round trip to the database. They start
   * only once the event is valid, and are all awaited together, so a failure in any is the caller's.
   */
  async function emit<T extends { orderId: string }>(tx: TransactionSql, event: EventVersion<T>, data: NoInfer<T>, alongside: Statement[] = []): Promise<void> {
    const { envelope, write } = outbox.prepare(event, data.orderId, data);
    await Promise.all([...alongside.map((run) => run()), write(tx), repo.recordOrderEvent(tx, {
      orderId: data.orderId,
      eventId: envelope.id,
      type: envelope.type,
      // As sent: an older version while a consumer that does not read this one runs (versionGate).
      version: envelope.version,
      source,
      direction: 'out',
      outcome: 'applied',
      data: envelope.data,
    })]);
  }

  /**
   * Validates and prices the request against the catalog read model, then writes the order, its lines
   * and `OrderPlaced` v2 in one transaction. Throws `OrderRejection` on a business rule failure.
   * The order keeps the active trace id: its whole saga logs under it.
   */
  async function placeOrder(customer: Customer, req: PlaceOrderRequest): Promise<PlaceOrderResult> {
    const lines = normalizeLines(req.items);
    const requestHash = requestFingerprint(lines, req.paymentToken);

    // A new key is the common case: the insert's conflict on (customer, key) finds a replay, so no
    // lookup runs before it. The lookup runs when the insert conflicts, or when pricing refuses the
    // lines: a replay is answered as the first request was, even if the catalog changed since.
    const products = await repo.findCatalogProducts(sql, lines.map((l) => l.productId));
    let priced: ReturnType<typeof priceLines>;
    try {
      priced = priceLines(lines, products);
    } catch (err) {
      const existing = await repo.findOrderByIdempotencyKey(sql, customer.id, req.idempotencyKey);
      if (existing) return replay(existing, requestHash);
      throw err;
    }
    const id = randomUUID();
    const createdAt = new Date();
    const customerEmail = customer.email && EMAIL.test(customer.email) ? customer.email : null;

    const created = await withSpan('place order transaction', { 'order.id': id, 'order.lines': priced.items.length }, () => sql.begin(async (tx) => {
      const inserted = await repo.insertOrder(tx, {
        id,
        customerId: customer.id,
        customerEmail,
        totalCents: priced.totalCents,
        currency: priced.currency,
        paymentToken: req.paymentToken,
        idempotencyKey: req.idempotencyKey,
        requestHash,
        traceId: currentTraceId() ?? null,
        createdAt,
        items: priced.items,
      });
      if (!inserted) return false;
      const placed: OrderPlacedV2 = {
        orderId: id,
        customerId: customer.id,
        items: priced.items,
        totalCents: priced.totalCents,
        currency: priced.currency,
        paymentToken: req.paymentToken,
        placedAt: createdAt.toISOString(),
        ...(customerEmail ? { customerEmail } : {}),
      };
      await emit(tx, OrderPlaced.v2, placed);
      return true;
    }));

    if (created) {
      metrics.placed.inc();
      return { kind: 'created', id };
    }
    // The key was used before, or a concurrent request with it won the insert.
    const winner = await repo.findOrderByIdempotencyKey(sql, customer.id, req.idempotencyKey);
    return replay(winner!, requestHash);
  }

  function replay(existing: repo.OrderRow, requestHash: string): PlaceOrderResult {
    return existing.requestHash === requestHash
      ? { kind: 'replayed', id: existing.id }
      : { kind: 'key-reused', id: existing.id };
  }

  /**
   * Writes a decided transition and emits its outcome event. Metrics count the written transition
   * (a transaction rolled back after this point would over-count; rare and harmless).
   */
  async function apply(tx: TransactionSql, order: repo.OrderRow, t: Transition, alongside: Statement[] = []): Promise<void> {
    const now = new Date();
    if (t.outcome === 'ignore') return void (await Promise.all(alongside.map((run) => run())));
    if (t.outcome === 'confirm') {
      await emit(tx, OrderConfirmed.v2, {
        orderId: order.id,
        customerId: order.customerId,
        totalCents: order.totalCents,
        currency: order.currency,
        confirmedAt: now.toISOString(),
        ...contactOf(order),
      }, [...alongside, () => repo.setOrderStatus(tx, order.id, 'CONFIRMED', null, now)]);
      metrics.confirmed.inc();
      metrics.revenue.inc({ currency: order.currency }, order.totalCents);
      return;
    }
    await emit(tx, OrderCancelled.v2, {
      orderId: order.id,
      customerId: order.customerId,
      reason: t.reason,
      cancelledAt: now.toISOString(),
      ...contactOf(order),
    }, [...alongside, () => repo.setOrderStatus(tx, order.id, 'CANCELLED', t.reason, now)]);
    metrics.cancelled.inc({ reason: t.reason });
  }

  /**
   * Applies one saga event inside the consumer's transaction. Every event is recorded in the order's
   * history (`applied`; `recorded` for informational ones; `ignored` when the order is already final);
   * returns the transition it decided (none: not our order, or an informational event).
   */
  async function handleSagaEvent(tx: TransactionSql, event: SagaEvent): Promise<Transition | undefined> {
    const line = { eventId: event.id, type: event.type, version: event.version, source: event.source, direction: 'in' as const, data: event.data };
    const input = sagaInput(event);
    if (!input) {
      // Informational (StockReserved, StockReleased): a history line decides nothing, so the order is not
      // locked; one statement records it when the order is ours.
      await repo.recordOrderEventIfOrder(tx, { ...line, orderId: event.data.orderId, outcome: 'recorded' });
      return undefined;
    }
    const order = await repo.lockOrder(tx, event.data.orderId);
    if (!order) return undefined; // not one of our orders: nothing to move or record
    const t = decide(order.status, input);
    const record = () => repo.recordOrderEvent(tx, {
      ...line,
      orderId: order.id,
      outcome: t.outcome === 'ignore' ? 'ignored' : 'applied',
      note: t.outcome === 'ignore' ? t.note : t.outcome === 'cancel' ? t.reason : undefined,
    });
    // The history line goes with the transition's statements (one round trip).
    await apply(tx, order, t, [record]);
    return t;
  }

  /** Cancels PENDING orders older than `timeoutSeconds` (`saga_timeout`); returns how many. */
  async function cancelTimedOut(timeoutSeconds: number, batchSize = 100): Promise<number> {
    return sql.begin(async (tx) => {
      const stale = await repo.lockTimedOutOrders(tx, new Date(Date.now() - timeoutSeconds * 1000), batchSize);
      for (const order of stale) await apply(tx, order, decide(order.status, { type: 'Timeout' }));
      return stale.length;
    });
  }

  return { placeOrder, handleSagaEvent, cancelTimedOut };
}

export type Orders = ReturnType<typeof createOrders>;

function sagaInput(event: SagaEvent): SagaInput | undefined {
  switch (event.type) {
    case 'PaymentAuthorized':
      return { type: 'PaymentAuthorized' };
    case 'PaymentDeclined':
      return { type: 'PaymentDeclined', reason: event.data.reason };
    case 'StockRejected':
      return { type: 'StockRejected', reason: event.data.reason };
    default:
      return undefined; // StockReserved, StockReleased: history only
  }
}
