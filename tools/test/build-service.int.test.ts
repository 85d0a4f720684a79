// The artifact the Dockerfiles copy: built outside the repo, started alone on real infrastructure.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Admin } from '@platformatic/kafka';
import { createTempDatabase, infra, kafkaAdminEnv, uniqueName, waitFor } from '@meridian/testkit';
import { buildService, checkArtifact } from '../build-service.ts';
import { freePort } from '../../scripts/lib/proc.ts';

test('catalog builds to a self-contained artifact without dev dependencies that starts and serves /healthz', { timeout: 120_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'meridian-artifact-'));
  const db = await createTempDatabase('artifact_catalog');
  const ns = uniqueName('artifact');
  try {
    const result = buildService('catalog', join(out, 'catalog'));
    const pkg = JSON.parse(readFileSync(join(out, 'catalog', 'package.json'), 'utf8'));
    assert.equal(pkg.main, 'src/main.js');
    for (const dev of ['typescript', '@pact-foundation/pact', '@meridian/testkit', 'fast-check']) assert.ok(!result.npmPackages.includes(dev) && !result.workspacePackages.includes(dev), dev);
    assert.ok(checkArtifact(join(out, 'catalog')).ok);

    const port = await freePort();
    const { kafkaBrokers, redisUrl, etcdEndpoints } = infra();
    const child = spawn(process.execPath, ['src/main.js'], {
      cwd: join(out, 'catalog'),
      env: { PATH: process.env.PATH, DATABASE_URL: db.url, MERIDIAN_NAMESPACE: ns, PORT: String(port), KAFKA_BROKERS: kafkaBrokers.join(','), ...kafkaAdminEnv(), REDIS_URL: redisUrl, ETCD_ENDPOINTS: etcdEndpoints.join(','), LOG_LEVEL: 'warn' },
      stdio: 'ignore',
    });
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, { timeoutMs: 60_000, message: 'the built catalog to answer /healthz' });
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  } finally {
    await db.drop();
    rmSync(out, { recursive: true, force: true });
    const admin = new Admin({ clientId: `${ns}.cleanup`, ...infra().kafka });
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${ns}.`));
    if (topics.length) await admin.deleteTopics({ topics });
    await admin.close();
  }
});
