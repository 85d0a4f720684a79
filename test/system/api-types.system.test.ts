// The web apps' wire types are generated from the services' OpenAPI documents; this fails when a
// service's answer changed and apps/shared/web/api.generated.ts was not regenerated.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { generateApiTypes, generatedFile } from '../../scripts/api-types.ts';
import { gateway } from './support.ts';

test('apps/shared/web/api.generated.ts matches what the running services document (npm run api:types)', async () => {
  const fresh = await generateApiTypes(gateway);
  assert.ok(fresh.includes('export type Product ='), 'the generator produced the types');
  assert.equal(readFileSync(generatedFile, 'utf8'), fresh, 'out of date: run npm run api:types with the platform running');
});
