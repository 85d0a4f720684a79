// `npm run can-i-deploy -- <service> [version] [--environment production]`: yes/no from the
// contract matrix in files (pacts, verification records, deployments). Exit code 0 = yes.
import { parseArgs } from 'node:util';
import { canIDeploy, readDeployments, readPacts, readVerifications } from './lib/matrix.ts';
import { participantVersion } from './lib/versions.ts';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { environment: { type: 'string', default: 'production' } } });
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
console.log(`can-i-deploy ${service} ${version} to ${values.environment}: ${decision.ok ? 'yes' : 'no'}`);
process.exit(decision.ok ? 0 : 1);
