// `npm run upgrade -- <service> [--from <git ref>] [--canary 10] [--step-seconds 30] [--rollback]`: rolls one
// service of the running `npm start` platform to another build without stopping it. Builds the
// deployable artifact (from this checkout, or a worktree at --from), checks it (pact verification and
// can-i-deploy against the running platform), starts its instances beside the running ones, shifts
// traffic canary -> 50% -> 100% while comparing error rate and p99 with the running build (rolls back by
// itself when they degrade), then drains the old instances. --rollback goes back to the build the last
// upgrade replaced. Exit code 0 = upgraded (or rolled back on request), 1 = refused or rolled back.
import { parseArgs } from 'node:util';
import { prepareBuild, checkDeployable } from './lib/builds.ts';
import { controlClient } from './lib/control.ts';
import { readPlatformFile } from './lib/platformFile.ts';
import { rollOut } from './lib/rollout.ts';
import { infraEnv } from './infra/index.ts';

/** Canary shares in order, ending at 100: `10` -> 10, 50, 100; `60` -> 60, 100. */
export function canarySteps(first: number): number[] {
  if (!(first > 0 && first <= 100)) throw new Error(`--canary must be a share in (0, 100] (got ${first})`);
  return [...new Set([first, ...[50, 100].filter((share) => share > first), 100])];
}

/** A version for the new instances that no running one reports: the build's, else with `.2`, `.3`, ... */
export function distinctVersion(version: string, running: string[]): string {
  let candidate = version;
  for (let n = 2; running.includes(candidate); n++) candidate = `${version}.${n}`;
  return candidate;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      from: { type: 'string' },
      canary: { type: 'string', default: '10' },
      'step-seconds': { type: 'string', default: '30' },
      rollback: { type: 'boolean', default: false },
    },
  });
  const [service] = positionals;
  if (!service) {
    console.error('usage: npm run upgrade -- <service> [--from <git ref>] [--canary 10] [--step-seconds 30] [--rollback]');
    return 2;
  }
  const platform = readPlatformFile();
  if (!platform?.control) {
    console.error('[upgrade] no running platform with a control endpoint: start one with `npm start` (upgrades act on it)');
    return 1;
  }
  const launcher = controlClient({ ...platform.control, ns: platform.ns, gatewayUrl: platform.gatewayUrl });
  const log = (line: string) => console.log(`[upgrade] ${service}: ${line}`);
  const steps = canarySteps(Number(values.canary));
  const stepMs = Number(values['step-seconds']) * 1000;
  const etcdEndpoints = infraEnv().ETCD_ENDPOINTS.split(',');
  // Ctrl-C during the traffic steps rolls back: the running build gets the whole split again.
  const interrupt = new AbortController();
  // `on`, not `once`: a second Ctrl-C (an impatient press, or a launcher forwarding the terminal's) would
  // otherwise end the upgrade mid-step, its traffic split left in place, instead of rolling it back.
  process.on('SIGINT', () => {
    if (interrupt.signal.aborted) return;
    log('interrupted: rolling back at the end of this step');
    interrupt.abort();
  });
  const signal = interrupt.signal;

  // Before building anything: the launcher must run the service (the gateway and web apps are not upgraded this way).
  if ((await launcher.instances(service)).length === 0) {
    console.error(`[upgrade] ${service}: the running platform has no instance of it to upgrade (backend services only; the gateway and web apps are not upgraded this way)`);
    return 1;
  }

  if (values.rollback) {
    const previous = await launcher.previousBuild(service);
    if (!previous?.version) {
      console.error(`[upgrade] ${service}: no build to roll back to (nothing was upgraded since the platform started)`);
      return 1;
    }
    log(`rolling back to ${previous.version}`);
    const result = await rollOut(launcher, { service, build: { ...previous, version: previous.version }, steps, stepMs, etcdEndpoints, signal });
    return result.outcome === 'upgraded' ? 0 : 1;
  }

  const build = await prepareBuild({ service, from: values.from, log });
  try {
    const verdict = await checkDeployable(build, platform.ns, { log });
    log(verdict.split('\n').at(-1)!);
  } finally {
    build.cleanup();
  }
  if (signal.aborted) return 130; // stopped before anything started
  const running = (await launcher.instances(service)).map((p) => p.build.version).filter((v): v is string => !!v);
  const version = distinctVersion(build.version, running);
  const result = await rollOut(launcher, { service, build: { script: build.script, cwd: build.cwd, version }, steps, stepMs, etcdEndpoints, signal });
  return result.outcome === 'upgraded' ? 0 : 1;
}

if (import.meta.main) {
  main().then(
    (code) => process.exit(code),
    (error: Error) => {
      console.error(`[upgrade] ${error.message}`);
      process.exit(1);
    },
  );
}
