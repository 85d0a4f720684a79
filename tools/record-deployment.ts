// `npm run record-deployment -- <service> [version] [--environment production]`: after a deploy,
// remembers which version runs where (contracts/deployments.json), for can-i-deploy.
import { parseArgs } from 'node:util';
import { recordDeployment } from './lib/matrix.ts';
import { participantVersion } from './lib/versions.ts';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { environment: { type: 'string', default: 'production' } } });
const [service, version = participantVersion(positionals[0] ?? '')] = positionals;
if (!service) {
  console.error('usage: record-deployment <service> [version] [--environment <env>]');
  process.exit(2);
}
recordDeployment(values.environment!, service, version);
console.log(`recorded: ${service} ${version} deployed to ${values.environment}`);
