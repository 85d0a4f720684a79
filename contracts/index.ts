import type { TSchema } from 'typebox';
import * as catalog from './events/catalog.ts';
import * as identity from './events/identity.ts';
import * as inventory from './events/inventory.ts';
import * as orders from './events/orders.ts';
import * as payments from './events/payments.ts';

export * from './events/catalog.ts';
export * from './events/identity.ts';
export * from './events/inventory.ts';
export * from './events/orders.ts';
export * from './events/payments.ts';

/** Logical topic names (the chassis prefixes them with the namespace). */
export const topics = {
  catalogProducts: 'catalog.products',
  inventoryStock: 'inventory.stock',
  ordersEvents: 'orders.events',
  paymentsEvents: 'payments.events',
  identityUsers: 'identity.users',
  /** Not business events: every service's log lines, indexed by the logging service. */
  platformLogs: 'platform.logs',
} as const;

const dayMs = 24 * 60 * 60 * 1000;

export interface TopicSettings {
  name: string;
  /** The service that publishes on it and declares it; consumers declare it too so either may start first. */
  owner: string;
  partitions: number;
  retentionMs: number;
  cleanupPolicy: 'delete' | 'compact';
}

/**
 * One place where producer and consumers agree on each topic's settings. Entity topics whose events
 * carry the full state are compacted (the latest event per key is kept forever), so a new read model
 * can be rebuilt from the beginning; saga topics keep 7 days.
 */
export const topicDefinitions: Record<(typeof topics)[keyof typeof topics], TopicSettings> = {
  'catalog.products': { name: topics.catalogProducts, owner: 'catalog', partitions: 3, retentionMs: -1, cleanupPolicy: 'compact' },
  'identity.users': { name: topics.identityUsers, owner: 'identity', partitions: 3, retentionMs: -1, cleanupPolicy: 'compact' },
  'inventory.stock': { name: topics.inventoryStock, owner: 'inventory', partitions: 3, retentionMs: 7 * dayMs, cleanupPolicy: 'delete' },
  'orders.events': { name: topics.ordersEvents, owner: 'orders', partitions: 3, retentionMs: 7 * dayMs, cleanupPolicy: 'delete' },
  'payments.events': { name: topics.paymentsEvents, owner: 'payments', partitions: 3, retentionMs: 7 * dayMs, cleanupPolicy: 'delete' },
  'platform.logs': { name: topics.platformLogs, owner: 'logging', partitions: 3, retentionMs: 3 * dayMs, cleanupPolicy: 'delete' },
};

interface EventContract {
  topic: string;
  versions: Record<number, TSchema>;
}

/** Every event type: the topic it is published on and the schema of each version's `data`. */
export const eventContracts: Record<string, EventContract> = {
  ProductCreated: { topic: topics.catalogProducts, versions: { 1: catalog.ProductCreatedV1 } },
  ProductUpdated: { topic: topics.catalogProducts, versions: { 1: catalog.ProductUpdatedV1 } },
  ProductDeactivated: { topic: topics.catalogProducts, versions: { 1: catalog.ProductDeactivatedV1 } },
  StockReserved: { topic: topics.inventoryStock, versions: { 1: inventory.StockReservedV1 } },
  StockRejected: { topic: topics.inventoryStock, versions: { 1: inventory.StockRejectedV1 } },
  StockReleased: { topic: topics.inventoryStock, versions: { 1: inventory.StockReleasedV1 } },
  StockLevelChanged: { topic: topics.inventoryStock, versions: { 1: inventory.StockLevelChangedV1 } },
  OrderPlaced: { topic: topics.ordersEvents, versions: { 1: orders.OrderPlacedV1, 2: orders.OrderPlacedV2 } },
  OrderConfirmed: { topic: topics.ordersEvents, versions: { 1: orders.OrderConfirmedV1 } },
  OrderCancelled: { topic: topics.ordersEvents, versions: { 1: orders.OrderCancelledV1 } },
  PaymentAuthorized: { topic: topics.paymentsEvents, versions: { 1: payments.PaymentAuthorizedV1 } },
  PaymentDeclined: { topic: topics.paymentsEvents, versions: { 1: payments.PaymentDeclinedV1 } },
  UserRegistered: { topic: topics.identityUsers, versions: { 1: identity.UserRegisteredV1 } },
};

/** The registry shape the messaging chassis validates against: `eventSchemas[type][version]`. */
export const eventSchemas: Record<string, Record<number, TSchema>> = Object.fromEntries(
  Object.entries(eventContracts).map(([type, c]) => [type, c.versions]),
);

export function latestVersion(type: string): number {
  const contract = eventContracts[type];
  if (!contract) throw new Error(`Unknown event type ${type}`);
  return Math.max(...Object.keys(contract.versions).map(Number));
}
