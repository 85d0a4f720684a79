/** Resolves (to anything but `false`) when ready; throwing, rejecting or returning `false` means not ready. */
export type ReadinessCheck = () => unknown;

export interface CheckResult {
  status: 'ok' | 'fail';
  error?: string;
}

export interface ReadinessReport {
  status: 'ready' | 'not_ready' | 'draining';
  checks: Record<string, CheckResult>;
}

export interface Readiness {
  add(name: string, check: ReadinessCheck): void;
  /** From now on the service reports `draining` (503) so traffic moves elsewhere. */
  drain(): void;
  readonly draining: boolean;
  run(): Promise<ReadinessReport>;
}

export function createReadiness(initial: Record<string, ReadinessCheck> = {}, timeoutMs = 3000): Readiness {
  const checks = new Map(Object.entries(initial));
  let draining = false;
  return {
    add: (name, check) => void checks.set(name, check),
    drain: () => void (draining = true),
    get draining() {
      return draining;
    },
    async run() {
      if (draining) return { status: 'draining', checks: {} };
      const entries = await Promise.all(
        [...checks].map(async ([name, check]) => [name, await runCheck(check, timeoutMs)] as const),
      );
      const results = Object.fromEntries(entries);
      const ready = entries.every(([, result]) => result.status === 'ok');
      return { status: ready ? 'ready' : 'not_ready', checks: results };
    },
  };
}

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const result = await Promise.race([Promise.resolve().then(check), timeout]);
    return result === false ? { status: 'fail', error: 'check returned false' } : { status: 'ok' };
  } catch (error) {
    return { status: 'fail', error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}
