/** Closed-loop HTTP load with autocannon, plus the CPU the server processes spent meanwhile. */
import autocannon from 'autocannon';
import type { Result } from 'autocannon';

export interface HttpLoad {
  url: string;
  connections: number;
  durationSeconds: number;
  headers?: Record<string, string>;
}

export interface HttpLoadResult {
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  seconds: number;
  serverCpuSeconds: number;
}

/** Runs autocannon against `url`; `serverCpu()` is sampled before and after to charge the server its CPU. */
export async function httpLoad(load: HttpLoad, serverCpu: () => number): Promise<HttpLoadResult> {
  const cpuBefore = serverCpu();
  const result: Result = await autocannon({
    url: load.url,
    connections: load.connections,
    pipelining: 1,
    duration: load.durationSeconds,
    headers: load.headers,
    timeout: 10,
  });
  const serverCpuSeconds = serverCpu() - cpuBefore;
  const requests = result['2xx'];
  return {
    requests,
    requestsPerSecond: requests / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
    seconds: result.duration,
    serverCpuSeconds,
  };
}
