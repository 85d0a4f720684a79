import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { infra } from '@meridian/testkit';

/** Where the platform under test runs; the test orchestrator sets these. */
export const env = {
  storefront: process.env.STOREFRONT_URL ?? 'http://127.0.0.1:3000',
  backoffice: process.env.BACKOFFICE_URL ?? 'http://127.0.0.1:3001',
  ops: process.env.OPS_URL ?? 'http://127.0.0.1:3002',
  staffEmail: process.env.STAFF_EMAIL || 'staff@meridian.local',
  staffPassword: process.env.STAFF_PASSWORD || 'staff-password',
  /** The brokers with the admin's login (testkit: from env, or the local broker's kept one). */
  kafka: infra().kafka,
  ns: process.env.MERIDIAN_NAMESPACE ?? 'dev',
};

/** Retries `fn` until it resolves or `timeoutMs` passes, then throws its last error. */
export async function eventually<T>(fn: () => Promise<T>, { timeoutMs = 15_000, intervalMs = 250 } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(intervalMs);
    }
  }
}

/** Waits until the element's visible text matches. */
export async function waitForText(locator: Locator, expected: string | RegExp, timeoutMs = 15_000): Promise<string> {
  return eventually(
    async () => {
      const text = await locator.innerText({ timeout: 1000 });
      if (typeof expected === 'string') assert.ok(text.includes(expected), `expected "${expected}" in "${text}"`);
      else assert.match(text, expected);
      return text;
    },
    { timeoutMs },
  );
}

const visible = (locator: Locator, timeout?: number) => locator.waitFor({ state: 'visible', timeout });

const resultsDir = join(import.meta.dirname, '..', 'test-results');
export const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

// Debian's Chromium, never a downloaded browser. Flags keep it quiet and offline apart from the apps.
const chromiumArgs = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

/**
 * Runs `fn` with a fresh Chromium profile. Traces every step; on failure keeps a screenshot of each
 * open page and the Playwright trace in `test-results/` (open with `npx playwright show-trace`).
 */
export async function withBrowser(
  t: TestContext,
  fn: (context: BrowserContext) => Promise<void>,
  viewport = { width: 1280, height: 900 },
): Promise<void> {
  const profile = mkdtempSync(join(tmpdir(), 'meridian-e2e-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: chromiumArgs,
    viewport,
  });
  context.setDefaultTimeout(15_000);
  await context.tracing.start({ screenshots: true, snapshots: true, title: t.name });
  const name = t.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase().slice(0, 80);
  try {
    await fn(context);
    await context.tracing.stop();
  } catch (err) {
    mkdirSync(resultsDir, { recursive: true });
    for (const [i, page] of context.pages().entries()) {
      await page.screenshot({ path: join(resultsDir, `${name}-${i}.png`), fullPage: true }).catch(() => undefined);
    }
    await context.tracing.stop({ path: join(resultsDir, `${name}.trace.zip`) }).catch(() => undefined);
    throw err;
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

/** Signs in to the back office or the ops console with the staff account. */
export async function staffSignIn(page: Page, appUrl: string): Promise<void> {
  await page.goto(appUrl);
  await page.getByLabel('Email').fill(env.staffEmail);
  await page.getByLabel('Password').fill(env.staffPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await visible(page.getByRole('button', { name: 'Sign out' }).or(page.getByRole('alert')));
  // A 502 from the gateway is worth a second click, as a person would do; anything else is a failure.
  if (await page.getByRole('alert').filter({ hasText: 'Bad gateway' }).isVisible()) {
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  await visible(page.getByRole('button', { name: 'Sign out' }));
}

export interface CreatedProduct {
  id: string;
  name: string;
  sku: string;
}

/** Creates a product in the back office and gives it stock; the page must be signed in. */
export async function createProduct(page: Page, { name, price, stock }: { name: string; price: string; stock: number }): Promise<CreatedProduct> {
  const sku = name.toUpperCase().replace(/[^A-Z0-9]+/g, '-');
  await page.goto(`${env.backoffice}/products/new`);
  await page.getByLabel('SKU').fill(sku);
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Description').fill(`End-to-end test product ${name}`);
  await page.getByLabel('Category').fill('E2E');
  await page.getByLabel('Price').fill(price);
  await page.getByRole('button', { name: 'Create product' }).click();
  await page.waitForURL(/\/products\/[0-9a-f-]{36}$/);
  const id = page.url().split('/').pop()!;
  // Inventory learns about new products from catalog events: retry until it accepts the stock.
  await eventually(
    async () => {
      await page.getByLabel('Available units').fill(String(stock));
      await page.getByRole('button', { name: 'Update stock' }).click();
      await waitForText(page.getByTestId('stock-available'), String(stock), 2000);
    },
    { timeoutMs: 30_000 },
  );
  return { id, name, sku };
}

/** Creates a customer account in the storefront; the page ends signed in. */
export async function customerSignUp(page: Page): Promise<string> {
  const email = `${unique('shopper')}@example.com`;
  await page.goto(`${env.storefront}/signup`);
  await page.getByLabel('Name').fill('E2E Shopper');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('correct-horse-battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  await visible(page.getByRole('button', { name: 'Sign out' }));
  return email;
}

/** Searches the storefront for `name`, puts one in the cart and checks out with `paymentToken`. */
export async function buyBySearch(page: Page, name: string, paymentToken: string): Promise<string> {
  await page.goto(env.storefront);
  await page.getByLabel('Search products').fill(name);
  await page.getByRole('button', { name: 'Search' }).click();
  const products = page.getByRole('list', { name: 'Products' });
  // The catalog cache may answer the first search from before the product existed.
  const link = products.getByRole('link', { name: new RegExp(name) });
  await eventually(
    async () => {
      if (!(await link.isVisible())) await page.reload();
      await visible(link, 2000);
    },
    { timeoutMs: 30_000 },
  );
  await link.click();
  await visible(page.getByRole('heading', { name }));
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await visible(page.getByText('Added to your cart'));
  await page.getByRole('link', { name: /^Cart/ }).click();
  await page.getByLabel('Payment token').fill(paymentToken);
  // Orders learns about new products from catalog events: a too-early order is refused, retry it.
  await eventually(
    async () => {
      await page.getByRole('button', { name: 'Place order' }).click();
      await page.waitForURL(/\/orders\/[0-9a-f-]{36}$/, { timeout: 3000 });
    },
    { timeoutMs: 30_000 },
  );
  return page.url().split('/').pop()!;
}
