import { startPlatform } from './scripts/platform.ts';
import { freePort } from './scripts/lib/proc.ts';
const ns = process.argv[2] ?? 'lead1';
const p = await startPlatform({ ns, gatewayPort: await freePort(), print: (l) => { if (/^\[(platform|infra)\]/.test(l)) console.log(l); }, webApps: process.argv[3] === 'apps' ? { ports: 'free' } : undefined });
console.log(`GATEWAY_URL=${p.gatewayUrl} PLATFORM_LOG_DIR=${p.logDir}`);
for (const a of p.apps) console.log(`${a.urlEnv}=${a.url}`);
process.on('SIGTERM', async () => { await p.stop(); process.exit(0); });
process.on('SIGINT', async () => { await p.stop(); process.exit(0); });
