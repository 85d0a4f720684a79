import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { canIDeploy, pactHash, readVerifications, recordDeployment, recordVerification, type Deployments, type PactSummary, type VerificationRecord } from '../lib/matrix.ts';

const pact = (consumer: string, provider: string, hash: string): PactSummary => ({ consumer, provider, hash, file: `${consumer}-${provider}.json`, interactions: 1 });
const verified = (providerVersion: string, consumer: string, pactHash: string, result: 'success' | 'failure' = 'success', verifiedAt = '2026-01-01T00:00:00.000Z'): VerificationRecord => ({
  providerVersion,
  consumer,
  consumerVersion: '1.0.0+aaa',
  pactHash,
  result,
  verifiedAt,
});

const pacts = [pact('orders', 'catalog', 'h-oc'), pact('storefront', 'catalog', 'h-sc'), pact('catalog', 'identity', 'h-ci')];

function decide(service: string, version: string, records: Record<string, VerificationRecord[]>, deployments: Deployments = {}) {
  return canIDeploy({ service, version, environment: 'production', pacts, verifications: (p) => records[p] ?? [], deployments });
}

test('a provider may deploy only when this version verified every current pact with it', () => {
  const both = { catalog: [verified('2.0.0+b', 'orders', 'h-oc'), verified('2.0.0+b', 'storefront', 'h-sc')] };
  assert.equal(decide('catalog', '2.0.0+b', both).ok, true);

  const onlyOne = { catalog: [verified('2.0.0+b', 'orders', 'h-oc')] };
  const missing = decide('catalog', '2.0.0+b', onlyOne);
  assert.equal(missing.ok, false);
  assert.match(missing.checks.find((c) => !c.ok)!.message, /storefront -> catalog .* never verified by catalog 2\.0\.0\+b/);

  // an older pact content was verified, not the current one
  const stale = { catalog: [verified('2.0.0+b', 'orders', 'h-oc'), verified('2.0.0+b', 'storefront', 'h-old')] };
  assert.equal(decide('catalog', '2.0.0+b', stale).ok, false);
  // another version verified it
  assert.equal(decide('catalog', '2.0.1+c', both).ok, false);
});

test('the newest verification of the same pact and version decides', () => {
  const failedThenFixed = {
    catalog: [
      verified('2.0.0+b', 'orders', 'h-oc'),
      verified('2.0.0+b', 'storefront', 'h-sc', 'failure', '2026-01-01T00:00:00.000Z'),
      verified('2.0.0+b', 'storefront', 'h-sc', 'success', '2026-01-02T00:00:00.000Z'),
    ],
  };
  assert.equal(decide('catalog', '2.0.0+b', failedThenFixed).ok, true);
  const failed = { catalog: [verified('2.0.0+b', 'orders', 'h-oc'), verified('2.0.0+b', 'storefront', 'h-sc', 'failure')] };
  assert.match(decide('catalog', '2.0.0+b', failed).checks.find((c) => !c.ok)!.message, /failed verification/);
});

test('a consumer may deploy only when the deployed provider version verified its pact', () => {
  const catalogRecords = { catalog: [verified('2.0.0+b', 'orders', 'h-oc'), verified('2.0.0+b', 'storefront', 'h-sc')] };
  const deployed: Deployments = { production: { catalog: { version: '2.0.0+b', deployedAt: '2026-01-01T00:00:00.000Z' } } };
  assert.equal(decide('orders', '5.0.0+x', catalogRecords, deployed).ok, true);

  const older: Deployments = { production: { catalog: { version: '1.9.0+a', deployedAt: '2026-01-01T00:00:00.000Z' } } };
  const no = decide('orders', '5.0.0+x', catalogRecords, older);
  assert.equal(no.ok, false);
  assert.match(no.checks[0].message, /not verified by catalog 1\.9\.0\+a, deployed to production/);
});

test('a provider not deployed to the environment cannot be broken', () => {
  const decision = decide('orders', '5.0.0+x', {});
  assert.equal(decision.ok, true);
  assert.match(decision.checks[0].message, /catalog is not deployed to production/);
});

test('pact hashes ignore metadata and interaction order, not content', () => {
  const base = { consumer: { name: 'a' }, provider: { name: 'b' }, interactions: [{ description: 'x', n: 1 }, { description: 'y' }], metadata: { v: 1 } };
  assert.equal(pactHash(base), pactHash({ ...base, interactions: [...base.interactions].reverse(), metadata: { v: 2 } }));
  assert.notEqual(pactHash(base), pactHash({ ...base, interactions: [{ description: 'x', n: 2 }, { description: 'y' }] }));
});

test('records: re-verifying the same version and pact replaces the old record; deployments are per environment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'matrix-'));
  try {
    recordVerification('catalog', verified('2.0.0+b', 'orders', 'h-oc', 'failure'), dir);
    recordVerification('catalog', verified('2.0.0+b', 'orders', 'h-oc', 'success'), dir);
    recordVerification('catalog', verified('2.0.0+b', 'storefront', 'h-sc'), dir);
    assert.deepEqual(readVerifications('catalog', dir).map((r) => [r.consumer, r.result]), [['orders', 'success'], ['storefront', 'success']]);

    const file = join(dir, 'deployments.json');
    recordDeployment('staging', 'catalog', '2.0.0+b', file, new Date('2026-01-01T00:00:00Z'));
    const all = recordDeployment('production', 'catalog', '1.9.0+a', file, new Date('2026-01-02T00:00:00Z'));
    assert.deepEqual(all, {
      staging: { catalog: { version: '2.0.0+b', deployedAt: '2026-01-01T00:00:00.000Z' } },
      production: { catalog: { version: '1.9.0+a', deployedAt: '2026-01-02T00:00:00.000Z' } },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
