// The gateway's event documentation on the running platform: one AsyncAPI document merged from every
// service's own, valid for the AsyncAPI parser, and a page that renders it without the internet.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Parser } from '@asyncapi/parser';
import { allEvents } from '@meridian/contracts';
import { gateway } from './support.ts';

test('GET /asyncapi.json: every event of the system, valid AsyncAPI 3.0, with its producer and consumers', async () => {
  const response = await fetch(`${gateway}/asyncapi.json`);
  assert.equal(response.status, 200);
  const document = (await response.json()) as { info: { description: string }; operations: Record<string, { action: string }>; components: { messages: Record<string, unknown> } };
  const { diagnostics } = await new Parser().parse(JSON.stringify(document));
  assert.deepEqual(diagnostics.filter((d) => d.severity === 0).map((d) => d.message), []);
  assert.doesNotMatch(document.info.description, /Not included/, 'every service answered');
  for (const event of allEvents) {
    for (const version of Object.keys(event.versions)) assert.ok(document.components.messages[`${event.type}.v${version}`], `${event.type} v${version}`);
  }
  assert.equal(document.operations['orders.send.OrderPlaced']?.action, 'send');
  assert.equal(document.operations['notifications.receive.OrderCancelled']?.action, 'receive');
});

test('GET /docs/events serves the renderer page, its script and its styles from the gateway itself', async () => {
  const page = await fetch(`${gateway}/docs/events`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  const html = await page.text();
  assert.match(html, /\/asyncapi\.json/);
  for (const [path, type] of [['/docs/events/asyncapi.js', /javascript/], ['/docs/events/asyncapi.css', /css/]] as const) {
    const asset = await fetch(`${gateway}${path}`);
    assert.equal(asset.status, 200, path);
    assert.match(asset.headers.get('content-type') ?? '', type);
    assert.ok((await asset.arrayBuffer()).byteLength > 10_000, `${path} is the real bundle`);
  }
});
