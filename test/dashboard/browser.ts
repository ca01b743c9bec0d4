/**
 * What the dashboard tests share: Debian's Chromium, a fresh browser profile
 * on a gateway's dashboard that collects script errors, waiting for what the
 * page shows (with a screenshot when it never does), and the requests table
 * as the user reads it. Screenshots go to test-artifacts/ (not committed).
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
// dist/test/dashboard → <repo>/test-artifacts
export const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));
/** How long the page may take to show something new: its poll interval is 1 s in the tests, so this is many polls. */
export const SHOWS_WITHIN_MS = 8000;

/** Debian's Chromium, headless, with the screenshot folder ready; fails saying what to install when it is missing. */
export function launchChromium(): Promise<Browser> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), as .ci/run does`);
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, headless: true });
}

/** A fresh browser profile (its own sessionStorage) on the dashboard; `errors` collects script errors and CSP violations. */
export async function openDashboard(browser: Browser, url: string, contexts: BrowserContext[]): Promise<{ page: Page; errors: string[]; apiPaths: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1100 } });
  contexts.push(context);
  const page = await context.newPage();
  const errors: string[] = [];
  const apiPaths: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    // A refused fetch logs an HTTP status; CSP violations and script errors are what must not happen.
    if (message.type() === 'error' && !/status of (401|403|422|429)/.test(message.text())) errors.push(message.text());
  });
  page.on('request', (request) => {
    const path = new URL(request.url()).pathname;
    if (path.startsWith('/api/')) apiPaths.push(path);
  });
  const response = await page.goto(`${url}/dashboard`);
  assert.equal(response?.status(), 200);
  return { page, errors, apiPaths };
}

/** Rows of the requests table as {field: text}, as the user sees them. */
export function requestRows(page: Page): Promise<Record<string, string>[]> {
  return page.$$eval('#requests-body tr[data-id]', (rows) =>
    rows.map((row) => Object.fromEntries([...row.querySelectorAll('[data-field]')].map((cell) => [cell.getAttribute('data-field'), cell.textContent ?? '']))),
  );
}

export async function until(page: Page, what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + SHOWS_WITHIN_MS;
  while (!(await check())) {
    if (Date.now() > deadline) {
      await page.screenshot({ path: `${ARTIFACTS}dashboard-timeout.png`, fullPage: true });
      assert.fail(`the dashboard did not show ${what} within ${SHOWS_WITHIN_MS} ms (screenshot: test-artifacts/dashboard-timeout.png)`);
    }
    await page.waitForTimeout(100);
  }
}
