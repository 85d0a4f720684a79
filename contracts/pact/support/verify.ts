// Verifies every pact that names a provider, one pact at a time, and keeps the result in the matrix.
import type { IncomingMessage } from 'node:http';
import { Verifier } from '@pact-foundation/pact';
import type { MessageProviders, VerifierOptions } from '@pact-foundation/pact';
import { readPacts, recordVerification, type PactSummary } from '../../../tools/lib/matrix.ts';
import { pactsDir, verificationsDir } from '../../../tools/lib/paths.ts';
import { participantVersion } from '../../../tools/lib/versions.ts';
import { eventDescription, eventStates, type EventType } from './events.ts';
import type { RunningProvider } from './provider.ts';

process.env.PACT_DO_NOT_TRACK ??= 'true';

type RequestFilter = NonNullable<VerifierOptions['requestFilter']>;
export type StateHandlers = NonNullable<VerifierOptions['stateHandlers']>;

export interface VerificationOutcome {
  consumer: string;
  pact: PactSummary;
  ok: boolean;
  /** Pact's own report of every mismatch (names the consumer, interaction and field). */
  error?: string;
}

export interface VerifyOptions {
  provider: string;
  providerBaseUrl: string;
  stateHandlers: StateHandlers;
  messageProviders?: MessageProviders;
  /** A real access token for each consumer's requests (replacing the pact's example bearer token). */
  bearerFor?: (consumer: string) => string;
  pactDir?: string;
  /** Where results are recorded; `false` records nothing (e.g. a deliberately broken provider). */
  recordTo?: string | false;
}

export async function verifyPacts(options: VerifyOptions): Promise<VerificationOutcome[]> {
  const { provider, recordTo = verificationsDir } = options;
  const pacts = readPacts(options.pactDir ?? pactsDir).filter((p) => p.provider === provider);
  const providerVersion = participantVersion(provider);
  const outcomes: VerificationOutcome[] = [];
  for (const pact of pacts) {
    let outcome: VerificationOutcome;
    try {
      await new Verifier({
        provider,
        providerVersion,
        providerBaseUrl: options.providerBaseUrl,
        pactUrls: [pact.file],
        stateHandlers: options.stateHandlers,
        messageProviders: options.messageProviders,
        requestFilter: options.bearerFor && withBearer(options.bearerFor(pact.consumer)),
        logLevel: 'warn',
      }).verifyProvider();
      outcome = { consumer: pact.consumer, pact, ok: true };
    } catch (error) {
      outcome = { consumer: pact.consumer, pact, ok: false, error: describeFailure(error) };
    }
    outcomes.push(outcome);
    if (recordTo !== false) {
      recordVerification(
        provider,
        {
          providerVersion,
          consumer: pact.consumer,
          consumerVersion: participantVersion(pact.consumer),
          pactHash: pact.hash,
          result: outcome.ok ? 'success' : 'failure',
          verifiedAt: new Date().toISOString(),
        },
        recordTo,
      );
    }
  }
  return outcomes;
}

/** One line per mismatch: `<consumer> -> <provider>: <interaction>: <path>: <mismatch>`. */
function describeFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  try {
    const report = JSON.parse(message) as {
      errors?: { interaction: string; mismatch?: { mismatches?: { path?: string; mismatch: string }[]; message?: string } }[];
    };
    const lines = (report.errors ?? []).flatMap(({ interaction, mismatch }) =>
      (mismatch?.mismatches ?? [{ mismatch: mismatch?.message ?? 'failed' }]).map((m) => `${interaction}: ${m.path ? `${m.path}: ` : ''}${m.mismatch}`),
    );
    return lines.length ? lines.join('\n') : message;
  } catch {
    return message;
  }
}

/** Fails with every mismatch when any pact failed. */
export function assertVerified(outcomes: VerificationOutcome[]): void {
  const failed = outcomes.filter((o) => !o.ok);
  if (failed.length) throw new Error(failed.map((o) => `pact ${o.consumer} -> ${o.pact.provider} failed:\n${o.error}`).join('\n\n'));
}

/** Replaces the consumer's example bearer token with a real one issued by the provider's identity. */
function withBearer(token: string): RequestFilter {
  const filter = (request: IncomingMessage, _response: unknown, next: () => void) => {
    if (request.headers.authorization) request.headers.authorization = `Bearer ${token}`;
    next();
  };
  return filter as RequestFilter;
}

/**
 * Message pacts: each event type's provider state drives the provider's real code (`produce`)
 * and waits for the event it wrote to its outbox; the message provider then answers with it.
 */
export function outboxEvents(provider: RunningProvider, produce: Partial<Record<EventType, () => Promise<unknown>>>) {
  const produced = new Map<EventType, unknown>();
  const stateHandlers: StateHandlers = {};
  const messageProviders: MessageProviders = {};
  for (const [type, drive] of Object.entries(produce) as [EventType, () => Promise<unknown>][]) {
    stateHandlers[eventStates[type]] = async () => {
      produced.set(type, await drive());
    };
    messageProviders[eventDescription(type)] = async () => {
      if (!produced.has(type)) throw new Error(`no ${type} was produced for ${provider.running.ctx.name}`);
      return produced.get(type);
    };
  }
  return { stateHandlers, messageProviders };
}
