import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const pactsDir = join(repoRoot, 'contracts', 'pacts');
export const verificationsDir = join(repoRoot, 'contracts', 'verifications');
export const deploymentsFile = join(repoRoot, 'contracts', 'deployments.json');
