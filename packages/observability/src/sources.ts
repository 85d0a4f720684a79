import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exposedSeriesBase } from './promql.ts';

/** The text of every `.ts` file under each `<root>/<workspace>/src`, e.g. `packages/*\/src`. */
function sourceTexts(roots: string[]): string[] {
  const texts: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== 'node_modules') walk(path);
      else if (entry.isFile() && entry.name.endsWith('.ts')) texts.push(readFileSync(path, 'utf8'));
    }
  };
  for (const root of roots) {
    for (const workspace of readdirSync(root, { withFileTypes: true })) {
      if (!workspace.isDirectory()) continue;
      const src = join(root, workspace.name, 'src');
      try {
        walk(src);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
  }
  return texts;
}

/**
 * Of the given metric names, those no workspace source file declares as a quoted string literal
 * (a histogram's `_bucket`/`_count`/`_sum` series count as its base name).
 */
export function metricsMissingFromSources(names: string[], roots: string[]): string[] {
  const texts = sourceTexts(roots);
  const declared = (name: string): boolean =>
    texts.some((text) => [`'${name}'`, `"${name}"`, `\`${name}\``].some((literal) => text.includes(literal)));
  return names.filter((name) => !declared(name) && !declared(exposedSeriesBase(name)));
}
