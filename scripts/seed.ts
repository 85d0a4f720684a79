// `npm run seed`: loads the demo catalog (hundreds of products in ten categories) into the running
// platform through the catalog's own code, and stocks it through the gateway as staff.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './lib/paths.ts';

const gatewayUrl = process.env.GATEWAY_URL || `http://127.0.0.1:${process.env.GATEWAY_PORT || 8080}`;
const healthy = await fetch(`${gatewayUrl}/healthz`, { signal: AbortSignal.timeout(3000) }).then((r) => r.ok, () => false);
if (!healthy) {
  console.error(`[seed] the platform is not running at ${gatewayUrl} (start it with \`npm start\`, or set GATEWAY_URL)`);
  process.exit(1);
}
const child = spawn(process.execPath, [join(repoRoot, 'services', 'catalog', 'src', 'seed.ts')], {
  cwd: repoRoot,
  stdio: 'inherit',
  env: { ...process.env, GATEWAY_URL: gatewayUrl, MERIDIAN_NAMESPACE: process.env.MERIDIAN_NAMESPACE || 'dev' },
});
child.on('exit', (code) => process.exit(code ?? 1));
