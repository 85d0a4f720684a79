// Every service's OpenAPI document is one a client developer can use: each operation says what it does
// (summary and description), each answer it documents says what it means (never "Default Response"),
// problems come with an example, and the statuses its inputs and guards imply are documented. That an
// operation answers only statuses it documents is checked by the fuzz test (test/security/fuzz.system.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serviceInstances } from '../security/support.ts';

type Operation = {
  summary?: string;
  description?: string;
  parameters?: { in: string; name: string }[];
  requestBody?: unknown;
  security?: unknown[];
  responses?: Record<string, { description?: string; content?: Record<string, { example?: unknown; examples?: unknown }> }>;
};
const methods = ['get', 'put', 'post', 'patch', 'delete'];

test("every operation of every service's OpenAPI document is described, with each status it answers", async () => {
  const instances = await serviceInstances();
  for (const expected of ['catalog', 'identity', 'inventory', 'orders', 'payments', 'notifications', 'logging']) {
    assert.ok(instances.has(expected), `${expected} is running`);
  }
  const faults: string[] = [];
  let operations = 0;
  for (const [service, instance] of instances) {
    const response = await fetch(`${instance.url}/openapi.json`);
    assert.equal(response.status, 200, `${service} serves /openapi.json`);
    const document = (await response.json()) as { paths: Record<string, Record<string, Operation>>; components?: { securitySchemes?: Record<string, { description?: string }> } };
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      for (const [method, operation] of Object.entries(item).filter(([m]) => methods.includes(m))) {
        operations += 1;
        const name = `${service} ${method.toUpperCase()} ${path}`;
        if (!operation.summary?.trim()) faults.push(`${name}: no summary`);
        if (!operation.description?.trim()) faults.push(`${name}: no description`);
        const responses = operation.responses ?? {};
        for (const [status, answer] of Object.entries(responses)) {
          if (!answer.description?.trim() || answer.description === 'Default Response') faults.push(`${name} ${status}: no description`);
          const media = Object.values(answer.content ?? {});
          if (Number(status) >= 400 && media.length > 0 && !media.some((m) => m.example !== undefined || m.examples !== undefined)) {
            faults.push(`${name} ${status}: no example`);
          }
        }
        const takesInput = Boolean(operation.requestBody) || (operation.parameters ?? []).length > 0;
        if (takesInput && !responses['400']) faults.push(`${name}: takes input but does not document 400`);
        if (operation.security?.length && !responses['401']) faults.push(`${name}: needs a token but does not document 401`);
        if (operation.security?.length && !document.components?.securitySchemes?.bearerAuth?.description) {
          faults.push(`${service}: bearerAuth does not say how to get a token`);
        }
      }
    }
  }
  assert.ok(operations >= 24, `operations checked: ${operations}`);
  assert.deepEqual([...new Set(faults)], []);
});
