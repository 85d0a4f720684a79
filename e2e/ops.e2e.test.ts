import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { Producer } from '@platformatic/kafka';
import { env, eventually, staffSignIn, unique, waitForText, withBrowser } from './support.ts';

/**
 * Publishes an OrderConfirmed whose data breaks its contract; every consumer of orders.events
 * dead-letters it at once. (Test setup: no UI can, or should, publish a broken event.)
 */
async function publishPoisonEvent(key: string): Promise<void> {
  const producer = new Producer({ clientId: 'meridian.e2e', ...env.kafka });
  const envelope = { id: randomUUID(), type: 'OrderConfirmed', version: 1, source: 'e2e', time: new Date().toISOString(), key, data: { orderId: key } };
  try {
    await producer.send({
      messages: [
        {
          topic: `${env.ns}.orders.events`,
          key: Buffer.from(key),
          value: Buffer.from(JSON.stringify(envelope)),
          headers: new Map([
            [Buffer.from('event-type'), Buffer.from('OrderConfirmed')],
            [Buffer.from('event-version'), Buffer.from('1')],
          ]),
        },
      ],
    });
  } finally {
    await producer.close();
  }
}

test('the ops console shows a dead-lettered message with its reason and replays it', async (t) => {
  const key = unique('poison');
  await publishPoisonEvent(key);
  await withBrowser(t, async (context) => {
    const page = await context.newPage();
    await staffSignIn(page, env.ops);
    // The landing page is the overview; the service map is one click away.
    await waitForText(page.getByRole('link', { name: 'Services ready' }), /\d+ \/ \d+/);
    await page.getByRole('link', { name: 'Services', exact: true }).click();
    await waitForText(page.getByRole('region', { name: 'Service orders' }), 'ready');

    await page.getByRole('link', { name: 'Dead letters', exact: true }).click();
    await page.getByLabel(/^Filter by key/).fill(key);
    const letters = page.getByRole('listitem').filter({ hasText: key });
    await eventually(
      async () => {
        await page.getByRole('button', { name: 'Refresh' }).click();
        await letters.first().waitFor({ timeout: 2000 });
      },
      { timeoutMs: 30_000 },
    );
    const letter = letters.first();
    await waitForText(letter.getByTestId('dlq-reason'), /OrderConfirmed v1 data/);

    await letter.getByRole('button', { name: 'Replay' }).click();
    const result = await waitForText(letter.getByRole('status'), `Replayed to ${env.ns}.orders.events`);
    // The replayed copy is a new message on orders.events; its consumers dead-letter it again.
    const [, partition, offset] = /p(\d+) · #(\d+)/.exec(result) ?? [];
    await eventually(
      async () => {
        await page.getByRole('button', { name: 'Refresh' }).click();
        await letters.filter({ hasText: `${env.ns}.orders.events · p${partition} · #${offset}` }).first().waitFor({ timeout: 2000 });
      },
      { timeoutMs: 30_000 },
    );
  });
});

test('the service map draws who writes and who reads each topic, with the log topic on request', async (t) => {
  await withBrowser(t, async (context) => {
    const page = await context.newPage();
    await staffSignIn(page, env.ops);
    await page.getByRole('link', { name: 'Services', exact: true }).click();
    const map = page.getByRole('img', { name: 'Service map' });
    // Declared writers, the consumer groups announced in discovery, and Kafka's figures on them.
    await map.getByRole('link', { name: /^orders: 1\/1 instances ready/ }).waitFor();
    await map.getByRole('link', { name: /^Topic orders\.events: 3 partitions/ }).waitFor();
    await map.getByRole('link', { name: new RegExp(`^Consumer group ${env.ns}\\.payments\\.saga: Stable, 1 members?, lag \\d+`) }).waitFor();
    await eventually(async () => {
      const text = (await map.textContent()) ?? '';
      if (!/\/s · lag \d+/.test(text)) throw new Error(`no rate and lag on the edges yet: ${text.slice(0, 200)}`);
    }, { timeoutMs: 20_000 });
    const logs = map.getByRole('link', { name: /^Topic platform\.logs/ });
    if ((await logs.count()) !== 0) throw new Error('the log topic is hidden until asked for');
    await page.getByLabel('Show the log topic').check();
    await logs.waitFor();
    await map.getByRole('link', { name: new RegExp(`^Consumer group ${env.ns}\\.logging\\.`) }).waitFor();

    await map.getByRole('link', { name: /^inventory: / }).click();
    await page.waitForURL(/\/services\?service=inventory$/);
    await page.getByRole('region', { name: 'Service inventory' }).waitFor();
  });
});

test('the ops console lists Kafka topics with consumer lag and tails live business events', async (t) => {
  await withBrowser(t, async (context) => {
    const page = await context.newPage();
    await staffSignIn(page, env.ops);
    await page.getByRole('link', { name: 'Kafka', exact: true }).click();
    await waitForText(page.getByRole('table', { name: 'Topics' }), `${env.ns}.orders.events`);
    await waitForText(page.getByRole('table', { name: 'Consumer groups' }), `${env.ns}.orders.saga`);

    await page.getByRole('link', { name: 'Live tail', exact: true }).click();
    await waitForText(page.getByRole('status'), 'Streaming business events');
    const key = unique('tail');
    await publishPoisonEvent(key);
    await waitForText(page.getByRole('table', { name: 'Live events' }), key, 20_000);
    const logRows = page.locator('tr.tail-log');
    if ((await logRows.count()) !== 0) throw new Error('no log line before they are asked for');
    await page.getByLabel('Platform log lines').check();
    await waitForText(page.getByRole('status'), 'Streaming business events and log lines');
    await publishPoisonEvent(unique('tail')); // its consumers log the dead-lettering
    await logRows.first().waitFor({ timeout: 20_000 });
  });
});
