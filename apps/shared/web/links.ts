/** Links from the web apps into the observability tools. */

/** The Zipkin page of one trace. */
export const zipkinTraceUrl = (zipkinUrl: string, traceId: string) => `${zipkinUrl.replace(/\/$/, '')}/zipkin/traces/${traceId}`;
