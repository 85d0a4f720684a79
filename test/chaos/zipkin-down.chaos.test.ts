import assert from 'node:assert/strict';
import { chaosScenario, checkInvariants, log, metricsOf, metricValue, orderStream, report, sleep, waitFor, type Chaos } from './harness.ts';

const spans = async (chaos: Chaos, outcome: string) => metricValue(await metricsOf(chaos, 'orders'), 'telemetry_spans_total', { outcome });

interface ZipkinSpan {
  kind?: string;
  name: string;
  localEndpoint: { serviceName: string };
}

/** The spans Zipkin holds for `traceId` (none when it does not know the trace yet). */
async function zipkinTrace(url: string, traceId: string): Promise<ZipkinSpan[]> {
  const response = await fetch(`${url}/api/v2/trace/${traceId}`, { signal: AbortSignal.timeout(5000) });
  return response.ok ? ((await response.json()) as ZipkinSpan[]) : [];
}

chaosScenario('Zipkin stopped for 15 s mid-stream: orders keep confirming, spans are dropped and counted, traces resume after', async (chaos) => {
  const zipkin = chaos.zipkin!;
  const startedAt = Date.now();
  const streaming = orderStream(chaos, { ratePerSecond: 5, durationMs: 50_000 });
  await sleep(8000);
  const failedBefore = await spans(chaos, 'failed');
  assert.ok((await spans(chaos, 'exported')) > 0, 'spans reach Zipkin before the fault');
  log('stopping zipkin');
  await zipkin.stop();
  const stoppedAt = Date.now();
  await sleep(15_000);
  const failedWhileDown = (await spans(chaos, 'failed')) - failedBefore;
  log('starting zipkin');
  await zipkin.start();
  const backAt = Date.now();
  const stream = await streaming;
  const settled = await checkInvariants(chaos, stream);

  const [{ confirmedWhileDown }] = await chaos.db('orders')<{ confirmedWhileDown: number }[]>`
    select count(*)::int as "confirmedWhileDown" from orders
    where status = 'CONFIRMED' and created_at between ${new Date(stoppedAt)} and ${new Date(backAt)}`;
  // An order placed once Zipkin is back is one trace again, across the services and the Kafka hops between them.
  const late = stream.accepted.filter((order) => order.at > backAt + 2000).at(-1);
  assert.ok(late, 'orders were accepted after Zipkin came back');
  const [{ traceId }] = await chaos.db('orders')<{ traceId: string }[]>`select trace_id as "traceId" from orders where id = ${late.id}`;
  const trace = await waitFor(async () => {
    const found = await zipkinTrace(zipkin.address, traceId);
    return new Set(found.map((span) => span.localEndpoint.serviceName)).size >= 5 ? found : undefined;
  }, { timeoutMs: 30_000, intervalMs: 1000, message: `trace ${traceId} in Zipkin with spans of five services` });

  report('zipkin-down', { ...settled, accepted: stream.accepted.length, failed: stream.failed, erroredAttempts: stream.erroredAttempts,
    longestAcceptGapMs: stream.longestAcceptGapMs, confirmedWhileDown, failedSpansWhileDown: failedWhileDown,
    spansInLateTrace: trace.length, totalMs: Date.now() - startedAt });
  assert.equal(stream.failed, 0);
  assert.ok(confirmedWhileDown > 0, 'orders placed while Zipkin was down confirmed');
  assert.ok(failedWhileDown > 0, 'spans that could not be sent are counted in telemetry_spans_total{outcome="failed"}');
  assert.ok(trace.some((span) => span.kind === 'PRODUCER') && trace.some((span) => span.kind === 'CONSUMER'), 'the Kafka hops are in the trace');
}, { tracing: true });
