import { topic, type TopicDescriptor } from '@meridian/messaging';

const dayMs = 24 * 60 * 60 * 1000;

/*
 * Every business topic, declared once with its owner and settings (the chassis prefixes the name with
 * the namespace). Entity topics whose events carry the full state are compacted (the latest event per
 * key is kept forever), so a new read model can be rebuilt from the beginning; saga topics keep 7 days.
 */
export const CatalogProductsTopic = topic({ name: 'catalog.products', owner: 'catalog', partitions: 3, retentionMs: -1, cleanupPolicy: 'compact' });
export const IdentityUsersTopic = topic({ name: 'identity.users', owner: 'identity', partitions: 3, retentionMs: -1, cleanupPolicy: 'compact' });
export const InventoryStockTopic = topic({ name: 'inventory.stock', owner: 'inventory', partitions: 3, retentionMs: 7 * dayMs });
// Stock levels apart from the saga's topic: orders and payments read inventory.stock and never fetch the
// ~4 level changes of each order; keyed by product with the full level, so compacted like an entity topic.
export const InventoryLevelsTopic = topic({ name: 'inventory.levels', owner: 'inventory', partitions: 3, retentionMs: -1, cleanupPolicy: 'compact' });
export const OrdersEventsTopic = topic({ name: 'orders.events', owner: 'orders', partitions: 3, retentionMs: 7 * dayMs });
export const PaymentsEventsTopic = topic({ name: 'payments.events', owner: 'payments', partitions: 3, retentionMs: 7 * dayMs });

export const businessTopics: readonly TopicDescriptor[] = [CatalogProductsTopic, IdentityUsersTopic, InventoryStockTopic, InventoryLevelsTopic, OrdersEventsTopic, PaymentsEventsTopic];
