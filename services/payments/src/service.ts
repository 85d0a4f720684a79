import { fileURLToPath } from 'node:url';
import { Type } from 'typebox';
import { collectedGauge, counterOf } from '@meridian/http';
import type { ServiceContext, ServiceDefinition } from '@meridian/service';
import { paymentRoutes } from './api/routes.ts';
import { createAuthorizer, type Authorize } from './authorizer.ts';
import { paymentSubscriptions } from './events/handlers.ts';
import { paymentEvents, paymentEventTypes } from './events/publish.ts';
import { OrderPlaced, StockReserved } from '@meridian/contracts';
import { createPayments } from './payments.ts';
import { createSimulatedProvider, type PaymentProvider } from './provider.ts';

const configSchema = {
  PAYMENT_PROVIDER_LATENCY_MS: Type.Integer({ minimum: 0, default: 20 }),
  PAYMENT_PROVIDER_TIMEOUT_MS: Type.Integer({ minimum: 1, default: 300 }),
  PAYMENT_MAX_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 10, default: 3 }),
  PAYMENT_RETRY_BASE_MS: Type.Integer({ minimum: 0, default: 100 }),
  PAYMENT_BREAKER_THRESHOLD: Type.Integer({ minimum: 1, default: 10 }),
  PAYMENT_BREAKER_COOLDOWN_MS: Type.Integer({ minimum: 1, default: 5000 }),
  PAYMENT_MAX_CONCURRENT: Type.Integer({ minimum: 1, default: 10 }),
  PAYMENT_MAX_QUEUED: Type.Integer({ minimum: 0, default: 100 }),
};

type Ctx = ServiceContext<typeof configSchema>;

const circuitStates = { closed: 0, 'half-open': 1, open: 2 } as const;

/** Provider calls guarded by timeout, retries, circuit breaker and bulkhead, with their metrics. */
function resilientAuthorizer(ctx: Ctx, provider: PaymentProvider): Authorize {
  const c = ctx.config;
  const authorizer = createAuthorizer({
    provider,
    breaker: { failureThreshold: c.PAYMENT_BREAKER_THRESHOLD, cooldownMs: c.PAYMENT_BREAKER_COOLDOWN_MS },
    bulkhead: { maxConcurrent: c.PAYMENT_MAX_CONCURRENT, maxQueued: c.PAYMENT_MAX_QUEUED },
    timeoutMs: c.PAYMENT_PROVIDER_TIMEOUT_MS,
    maxAttempts: c.PAYMENT_MAX_ATTEMPTS,
    backoff: { baseMs: c.PAYMENT_RETRY_BASE_MS, maxMs: 10 * c.PAYMENT_RETRY_BASE_MS },
  });
  const decisions = counterOf(ctx.metrics, 'payments_decisions_total', 'Payment decisions', ['status', 'reason']);
  collectedGauge(ctx.metrics, 'payment_provider_circuit_state', 'Provider circuit breaker: 0 closed, 1 half-open, 2 open', () => circuitStates[authorizer.circuitState()]);
  collectedGauge(ctx.metrics, 'payment_provider_in_flight', 'Provider calls in flight (bulkhead)', () => authorizer.inFlight());
  return async (request) => {
    const decision = await authorizer.authorize(request);
    decisions.inc({ status: decision.status, reason: decision.status === 'declined' ? decision.reason : '' });
    return decision;
  };
}

/** The payments service; `provider` defaults to the simulated one. */
export function paymentsService(opts: { provider?: PaymentProvider } = {}): ServiceDefinition<typeof configSchema> {
  return {
    name: 'payments',
    version: '1.0.0',
    configSchema,
    migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
    produces: paymentEventTypes,
    consumes: [OrderPlaced, StockReserved],
    openapi: { title: 'Meridian payments', description: 'Payment authorization for orders (simulated provider).' },
    consumers: (ctx) => {
      const provider = opts.provider ?? createSimulatedProvider({ latencyMs: ctx.config.PAYMENT_PROVIDER_LATENCY_MS });
      const payments = createPayments({
        events: paymentEvents(ctx.outbox),
        authorize: resilientAuthorizer(ctx, provider),
        log: ctx.logger,
      });
      return [
{ name: 'saga', on: paymentSubscriptions(payments) },
      ];
    },
    routes: (app, ctx) => paymentRoutes(app, { sql: ctx.sql, auth: ctx.auth }),
  };
}
