/** Which service owns each public path prefix (docs/design.md, "Public HTTP API"). */
export interface RouteRule {
  prefix: string;
  service: string;
}

export const routeTable: RouteRule[] = [
  { prefix: '/api/v1/auth', service: 'identity' },
  { prefix: '/api/v2/auth', service: 'identity' },
  { prefix: '/api/v1/products', service: 'catalog' },
  { prefix: '/api/v2/products', service: 'catalog' },
  { prefix: '/api/v1/categories', service: 'catalog' },
  { prefix: '/api/v1/inventory', service: 'inventory' },
  { prefix: '/api/v1/orders', service: 'orders' },
  { prefix: '/api/v1/admin/orders', service: 'orders' },
  { prefix: '/api/v1/notifications', service: 'notifications' },
  { prefix: '/api/v1/payments', service: 'payments' },
  { prefix: '/api/v1/ops/logs', service: 'logging' },
  { prefix: '/.well-known/jwks.json', service: 'identity' },
];

export const defaultExpectedServices = ['identity', 'catalog', 'inventory', 'orders', 'payments', 'notifications'];
