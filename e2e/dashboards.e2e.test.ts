import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { env, eventually, staffSignIn, unique, waitForText, withBrowser } from './support.ts';

interface PanelState {
  title: string;
  type: string;
  drawn: 'chart' | 'stat' | 'bars' | 'empty' | 'error' | 'waiting';
  error?: string;
}

/** What each panel of the shown dashboard draws right now. */
const panelStates = (page: Page): Promise<PanelState[]> =>
  page.locator('section.panel').evaluateAll((sections) =>
    sections.map((section) => ({
      title: section.getAttribute('aria-label') ?? '',
      type: section.getAttribute('data-panel-type') ?? '',
      drawn: section.querySelector('.notice-error')
        ? 'error'
        : section.querySelector('canvas')
          ? 'chart'
          : section.querySelector('.panel-stat-value')
            ? 'stat'
            : section.querySelector('.panel-bar-fill')
              ? 'bars'
              : section.querySelector('.panel-empty')
              ? 'empty'
              : 'waiting',
      error: section.querySelector('.notice-error')?.textContent ?? undefined,
    })) as PanelState[]);

test("the ops console draws every Grafana dashboard live from Prometheus: each panel charted, stated or barred, none failing", async (t) => {
  await withBrowser(t, async (context) => {
    const page = await context.newPage();
    await staffSignIn(page, env.ops);
    await page.getByRole('link', { name: 'Dashboards' }).click();
    const tabs = page.getByRole('navigation', { name: 'Dashboards' }).getByRole('link');
    const titles = await tabs.allInnerTexts();
    assert.deepEqual(titles.toSorted(), ['Business KPIs', 'Kafka and outbox', 'Platform overview', 'Service'], 'one tab per dashboard in infra/grafana/dashboards');

    const drawn: Record<string, PanelState[]> = {};
    for (const title of titles) {
      await tabs.filter({ hasText: title }).click();
      if (title === 'Service') {
        // The service variable lists the services Prometheus sees; orders has consumers, an outbox and routes.
        await page.getByLabel('Service', { exact: true }).selectOption('orders');
        // The console writes the variable into the URL with the history API (no page load to wait for).
        await eventually(async () => assert.match(page.url(), /var-service=orders/));
      }
      // Panels drawn for the variable's previous value (or before the first scrapes of a panel's series), or a
      // query that timed out on a busy machine, may be on screen for a moment: the panels refresh, so judge the
      // dashboard once it settles, and report what it still shows if it never does.
      drawn[title] = await eventually(async () => {
        const states = await panelStates(page);
        assert.ok(states.length > 0 && states.every((s) => s.drawn !== 'waiting'), `${title}: still loading ${JSON.stringify(states.filter((s) => s.drawn === 'waiting'))}`);
        assert.deepEqual(states.filter((s) => s.drawn === 'error'), [], `${title}: panels whose query failed`);
        const withData = states.filter((s) => s.drawn === 'chart' || s.drawn === 'stat' || s.drawn === 'bars').length;
        assert.ok(withData >= Math.ceil(states.length * 0.6), `${title}: ${withData} of ${states.length} panels with data: ${JSON.stringify(states)}`);
        // After the earlier stages' traffic the overview has data in every panel; elsewhere only metrics of
        // things that did not happen (retries, dead letters, cache errors) may be empty.
        if (title === 'Platform overview') assert.deepEqual(states.filter((s) => s.drawn === 'empty').map((s) => s.title), [], 'overview panels without data');
        // Bar gauges draw one bar per series: the revenue of the orders the earlier stages confirmed.
        if (title === 'Business KPIs') assert.equal(states.find((s) => s.title === 'Revenue in range by currency')?.drawn, 'bars');
        return states;
      }, { timeoutMs: 45_000, intervalMs: 500 });
    }
    assert.deepEqual(Object.keys(drawn).toSorted(), ['Business KPIs', 'Kafka and outbox', 'Platform overview', 'Service']);

    // The time range and the variables live in the URL, so a view can be linked to.
    await page.getByLabel('Time range').selectOption({ label: 'Last 5 minutes' });
    await page.waitForURL(/range=300/);
    assert.match(page.url(), /var-service=orders/);
    await eventually(async () => assert.ok((await panelStates(page)).every((s) => s.drawn !== 'waiting' && s.drawn !== 'error')), { timeoutMs: 30_000 });

  });
});

test('the overview, the landing page, shows a firing alert from Alertmanager and links to it', { skip: !process.env.ALERTMANAGER_URL && 'ALERTMANAGER_URL is not set' }, async (t) => {
  const alertname = unique('E2eAlert').replace(/[^A-Za-z0-9]/g, '');
  const posted = await fetch(`${process.env.ALERTMANAGER_URL}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify([{ labels: { alertname, service: 'orders', severity: 'critical' }, annotations: { summary: 'raised by the e2e test' },
      endsAt: new Date(Date.now() + 120_000).toISOString() }]),
  });
  assert.equal(posted.status, 200);
  await withBrowser(t, async (context) => {
    const page = await context.newPage();
    await staffSignIn(page, env.ops);
    const tile = page.getByRole('link', { name: 'Alerts firing' });
    await waitForText(tile, alertname, 30_000);
    await waitForText(page.getByRole('link', { name: 'Services ready' }), /\d+ \/ \d+/);
    await tile.click();
    await waitForText(page.getByRole('list', { name: 'Firing alerts' }), alertname);
  });
});
