// The web apps, for the launcher and the test orchestrator: what to build, run and wait for.
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { OrdersEventsTopic } from '@meridian/contracts';

export interface WebApp {
  /** Folder under apps/ and service name in discovery. */
  name: 'storefront' | 'backoffice' | 'ops-console';
  title: string;
  /** The app server's entry point (absolute path); run it after `buildWebApps()`. */
  script: string;
  /** Its port when `PORT` is unset. */
  defaultPort: number;
  /** The env variable the e2e tests read its URL from. */
  urlEnv: 'STOREFRONT_URL' | 'BACKOFFICE_URL' | 'OPS_URL';
  /** What its Kafka login may do beside shipping logs (infra/kafka/acls.ts): topics it follows, or inspecting all. */
  kafka: { consumes: string[]; inspects?: boolean };
}

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export const webApps: WebApp[] = [
  { name: 'storefront', title: 'Storefront', script: here('./storefront/server/main.ts'), defaultPort: 3000, urlEnv: 'STOREFRONT_URL',
    kafka: { consumes: [OrdersEventsTopic.name] } },
  { name: 'backoffice', title: 'Back office', script: here('./backoffice/server/main.ts'), defaultPort: 3001, urlEnv: 'BACKOFFICE_URL',
    kafka: { consumes: [] } },
  { name: 'ops-console', title: 'Ops console', script: here('./ops-console/server/main.ts'), defaultPort: 3002, urlEnv: 'OPS_URL',
    kafka: { consumes: [], inspects: true } },
];

/** Builds each app's web UI with Vite into apps/<name>/dist/, where its server serves it from. */
export async function buildWebApps(names: string[] = webApps.map((app) => app.name), log = console.log): Promise<void> {
  for (const name of names) {
    if (!webApps.some((app) => app.name === name)) throw new Error(`Unknown web app ${name}`);
    await build({ configFile: here(`./${name}/vite.config.ts`), logLevel: 'warn' });
    log(`[apps] built ${name} → apps/${name}/dist/`);
  }
}
