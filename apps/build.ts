// `node apps/build.ts [name...]`: builds the web apps (all by default) into apps/<name>/dist/.
import { buildWebApps } from './index.ts';

const names = process.argv.slice(2);
await buildWebApps(names.length > 0 ? names : undefined);
