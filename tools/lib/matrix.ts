// The contract matrix kept in files: pacts, verification records and deployments (a Pact Broker's job).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { deploymentsFile, pactsDir, verificationsDir } from './paths.ts';

export interface PactSummary {
  consumer: string;
  provider: string;
  file: string;
  hash: string;
  interactions: number;
}

export interface VerificationRecord {
  providerVersion: string;
  consumer: string;
  consumerVersion: string;
  pactHash: string;
  result: 'success' | 'failure';
  verifiedAt: string;
}

export interface Deployment {
  version: string;
  deployedAt: string;
}

/** environment → service → the version running there. */
export type Deployments = Record<string, Record<string, Deployment>>;

/** JSON with object keys sorted, so equal content always serialises the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The hash of what a pact promises: participants and interactions (in a stable order), not the
 * metadata pact-js stamps on the file, so regenerating an unchanged pact keeps its hash.
 */
export function pactHash(pact: { consumer: { name: string }; provider: { name: string }; interactions: unknown[]; [field: string]: unknown }): string {
  const interactions = pact.interactions.map(canonical).sort();
  const content = canonical({ consumer: pact.consumer.name, provider: pact.provider.name, interactions });
  return createHash('sha256').update(content).digest('hex').slice(0, 16);
}

export function readPact(file: string): PactSummary {
  const pact = JSON.parse(readFileSync(file, 'utf8'));
  return { consumer: pact.consumer.name, provider: pact.provider.name, file, hash: pactHash(pact), interactions: pact.interactions.length };
}

export function readPacts(dir = pactsDir): PactSummary[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => readPact(join(dir, name)));
}

const recordsFile = (provider: string, dir: string) => join(dir, `${provider}.json`);

export function readVerifications(provider: string, dir = verificationsDir): VerificationRecord[] {
  const file = recordsFile(provider, dir);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : [];
}

/** Adds a verification result; a re-verification of the same (provider version, consumer, pact) replaces the old one. */
export function recordVerification(provider: string, record: VerificationRecord, dir = verificationsDir): void {
  const same = (r: VerificationRecord) =>
    r.providerVersion === record.providerVersion && r.consumer === record.consumer && r.pactHash === record.pactHash;
  const records = [...readVerifications(provider, dir).filter((r) => !same(r)), record];
  mkdirSync(dir, { recursive: true });
  writeFileSync(recordsFile(provider, dir), `${JSON.stringify(records, null, 2)}\n`);
}

export function readDeployments(file = deploymentsFile): Deployments {
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
}

export function recordDeployment(environment: string, service: string, version: string, file = deploymentsFile, now = new Date()): Deployments {
  const deployments = readDeployments(file);
  deployments[environment] = { ...deployments[environment], [service]: { version, deployedAt: now.toISOString() } };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(deployments, null, 2)}\n`);
  return deployments;
}

export interface DeployCheck {
  ok: boolean;
  message: string;
}

export interface DeployDecision {
  ok: boolean;
  checks: DeployCheck[];
}

/** Was `pact` verified successfully by `providerVersion`? (The newest record for that pact content decides.) */
function verifiedBy(records: VerificationRecord[], pact: PactSummary, providerVersion: string): VerificationRecord | undefined {
  return records
    .filter((r) => r.providerVersion === providerVersion && r.consumer === pact.consumer && r.pactHash === pact.hash)
    .sort((a, b) => a.verifiedAt.localeCompare(b.verifiedAt))
    .at(-1);
}

/**
 * can-i-deploy `service` at `version` to `environment`:
 * - as a provider, every current pact with it must have been verified successfully by this version;
 * - as a consumer, every provider deployed in the environment must have verified its current pact.
 * A provider not deployed there yet cannot be broken; its own can-i-deploy checks the pact later.
 */
export function canIDeploy(options: {
  service: string;
  version: string;
  environment: string;
  pacts: PactSummary[];
  verifications: (provider: string) => VerificationRecord[];
  deployments: Deployments;
}): DeployDecision {
  const { service, version, environment, pacts, verifications, deployments } = options;
  const checks: DeployCheck[] = [];

  for (const pact of pacts.filter((p) => p.provider === service && p.consumer !== service)) {
    const record = verifiedBy(verifications(service), pact, version);
    const what = `pact ${pact.consumer} -> ${service} (${pact.hash})`;
    if (!record) checks.push({ ok: false, message: `${what} was never verified by ${service} ${version}` });
    else if (record.result !== 'success') checks.push({ ok: false, message: `${what} failed verification by ${service} ${version} at ${record.verifiedAt}` });
    else checks.push({ ok: true, message: `${what} verified by ${service} ${version}` });
  }

  for (const pact of pacts.filter((p) => p.consumer === service && p.provider !== service)) {
    const deployed = deployments[environment]?.[pact.provider];
    const what = `pact ${service} -> ${pact.provider} (${pact.hash})`;
    if (!deployed) {
      checks.push({ ok: true, message: `${what}: ${pact.provider} is not deployed to ${environment} (nothing to break)` });
      continue;
    }
    const record = verifiedBy(verifications(pact.provider), pact, deployed.version);
    if (record?.result === 'success') checks.push({ ok: true, message: `${what} verified by deployed ${pact.provider} ${deployed.version}` });
    else checks.push({ ok: false, message: `${what} is not verified by ${pact.provider} ${deployed.version}, deployed to ${environment}` });
  }

  return { ok: checks.every((c) => c.ok), checks };
}
