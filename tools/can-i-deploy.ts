// `npm run can-i-deploy -- <service> [version] [--environment production] [--running <namespace>]`: yes/no
// from the contract matrix in files (pacts, verification records, deployments); with --running, also
// from the platform running in that namespace: no running producer may still emit an event version the
// checkout's build of <service> no longer reads. Exit code 0 = yes.
import { parseArgs } from 'node:util';
import { createResolver } from '@meridian/discovery';
import { consumedEvents, droppedVersionsInUse } from './lib/eventCompat.ts';
import { canIDeploy, readDeployments, readPacts, readVerifications } from './lib/matrix.ts';
import { participantVersion } from './lib/versions.ts';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { environment: { type: 'string', default: 'production' }, running: { type: 'string' } } });
const [service, version = participantVersion(positionals[0] ?? '')] = positionals;
if (!service) {
  console.error('usage: can-i-deploy <service> [version] [--environment <env>]');
  process.exit(2);
}

const decision = canIDeploy({
  service,
  version,
  environment: values.environment!,
  pacts: readPacts(),
  verifications: (provider) => readVerifications(provider),
  deployments: readDeployments(),
});
for (const check of decision.checks) console.log(`${check.ok ? 'ok  ' : 'FAIL'} ${check.message}`);
if (decision.checks.length === 0) console.log(`${service} is party to no pact`);

let running: string[] = [];
if (values.running) {
  const resolver = createResolver({ endpoints: (process.env.ETCD_ENDPOINTS ?? 'http://127.0.0.1:2379').split(','), ns: values.running });
  await resolver.start();
  try {
    running = droppedVersionsInUse(service, await consumedEvents(service), resolver.instances());
  } finally {
    await resolver.stop();
  }
  for (const refusal of running) console.log(`FAIL ${refusal}`);
  if (running.length === 0) console.log(`ok   every event version the producers running in ${values.running} have emitted is one ${service} reads`);
}
const ok = decision.ok && running.length === 0;
console.log(`can-i-deploy ${service} ${version} to ${values.environment}: ${ok ? 'yes' : 'no'}`);
process.exit(ok ? 0 : 1);
