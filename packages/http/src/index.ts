export { createHttpServer } from './server.ts';
export type { App, HttpServerOptions } from './server.ts';
export { fieldErrors, HttpProblem, problem, problemTypeBase, slugForStatus, toProblem } from './problem.ts';
export type { FieldError, ProblemDetails } from './problem.ts';
export { createReadiness } from './readiness.ts';
export type { CheckResult, Readiness, ReadinessCheck, ReadinessReport } from './readiness.ts';
export { ensureHttpMetrics, metricsRegistry } from './metrics.ts';
export type { HttpMetrics } from './metrics.ts';
export type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
