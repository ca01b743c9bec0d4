/**
 * The dashboard in a real headless Chromium (Debian's /usr/bin/chromium driven
 * by playwright-core) against a real gateway with the bundled demo server:
 * a browser without a key or without an admin role sees no data; an admin
 * sees the servers, a call made through the REST API appears within seconds,
 * the filters narrow the list, the detail view opens. Screenshots go to
 * test-artifacts/ (not committed).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { demoServer } from '../fixtures/paths.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { ARTIFACTS, CHROMIUM, openDashboard as openIn, requestRows, until } from './browser.js';

const ADMIN = 'admin-key-for-the-browser';
const READER = 'reader-key-for-the-browser';
const BOT = 'bot-key-for-the-browser';
const TRACE_ID = '5e1f0c0ffee0ddba11ad0be5e1f0c0ff';

describe('dashboard in Chromium', () => {
  let gw: RunningGateway;
  let open: RunningGateway;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), as .ci/run does`);
    mkdirSync(ARTIFACTS, { recursive: true });
    [gw, open, browser] = await Promise.all([
      startGateway([{ id: 'demo', command: process.execPath, args: [demoServer] }], {
        config: {
          auth: {
            strategy: 'api-key',
            apiKeys: [
              { key: ADMIN, name: 'ops', roles: ['admin'] },
              { key: READER, name: 'reader', roles: ['reader'] },
              { key: BOT, name: 'ci-bot', rateLimit: { limit: 2, windowSeconds: 60 } },
            ],
          },
          rateLimit: { limit: 10_000, windowSeconds: 60 },
          monitor: { capture: { arguments: true, results: true } },
        },
      }),
      startGateway([{ id: 'demo', command: process.execPath, args: [demoServer] }]),
      chromium.launch({ executablePath: CHROMIUM, headless: true }),
    ]);
  });

  after(async () => {
    await Promise.all(contexts.map((context) => context.close()));
    await browser?.close();
    await Promise.all([gw?.stop(), open?.stop()]);
  });

  const openDashboard = (on: RunningGateway = gw) => openIn(browser, on.url, contexts);

  async function signIn(page: Page, key: string): Promise<void> {
    await page.locator('#api-key').fill(key);
    await page.locator('#login-form button[type=submit]').click();
  }

  test('without a key the page asks for one and shows no data; a key without an admin role is refused', async () => {
    const { page, errors, apiPaths } = await openDashboard();
    await page.locator('#login').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#app').isVisible(), false);
    assert.deepEqual(apiPaths, [], 'the page knows a key is needed and asks for nothing before it has one');
    await page.screenshot({ path: `${ARTIFACTS}dashboard-sign-in.png` });

    await signIn(page, 'not-a-key');
    await page.locator('#login-message', { hasText: 'That key was refused' }).waitFor();
    assert.equal(await page.locator('#app').isVisible(), false);

    await signIn(page, READER);
    await page.locator('#refused').waitFor({ state: 'visible' });
    assert.match((await page.locator('#refused-message').textContent()) ?? '', /reader may not use the dashboard \(needs one of auth\.adminRoles\)/);
    assert.equal(await page.locator('#app').isVisible(), false);
    await page.screenshot({ path: `${ARTIFACTS}dashboard-refused.png` });
    // Nothing but the identity check was asked for: no metrics, no request log.
    assert.deepEqual([...new Set(apiPaths)], ['/api/v1/admin/whoami']);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('mcp-gateway.apiKey')), READER, 'the key lives in sessionStorage');
    assert.deepEqual(errors, []);
  });

  test('an admin sees the servers, a REST call within seconds, working filters and the detail view', async () => {
    const { page, errors } = await openDashboard();
    await signIn(page, ADMIN);
    await page.locator('#app').waitFor({ state: 'visible' });
    // Poll every second, so the checks below wait for a few polls at most.
    await page.locator('#interval').selectOption('1');
    await page.locator('#who', { hasText: 'ops (admin)' }).waitFor();

    const demo = page.locator('#servers-body tr[data-server="demo"]');
    await demo.waitFor();
    assert.equal(await demo.locator('[data-field=state]').textContent(), 'ready');
    assert.equal(await demo.locator('[data-field=circuit]').textContent(), 'closed');
    assert.equal(await demo.locator('[data-field=tools]').textContent(), '4');
    assert.equal(await demo.locator('[data-field=restarts]').textContent(), '0');

    // Calls through the REST API, as other clients would make them.
    const call = (key: string, tool: string, args: Record<string, unknown>, extra: Record<string, string> = {}) => gw.post('/api/v1/tools/call', { tool, arguments: args }, { 'x-api-key': key, ...extra });
    assert.equal((await call(ADMIN, 'echo', { message: 'seen in the browser', password: 'hunter2' }, { traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` })).status, 200);
    await until(page, 'the echo call', async () => (await requestRows(page)).some((row) => row.tool === 'echo' && row.caller === 'ops'));
    await page.screenshot({ path: `${ARTIFACTS}dashboard-overview.png`, fullPage: true });

    assert.equal((await call(READER, 'add', { a: 2, b: 40 })).status, 200);
    assert.equal((await call(READER, 'fail', { message: 'on purpose' })).status, 200);
    assert.equal((await call(ADMIN, 'add', { a: 1, b: 1 })).status, 200);
    await until(page, 'all four calls', async () => (await requestRows(page)).length >= 4);

    // Each filter narrows the list to what it names, and offers what the gateway knows.
    await until(page, 'the tool filter offering add', async () => (await page.locator('#filter-tool option[value="add"]').count()) === 1);
    await page.locator('#filter-tool').selectOption('add');
    await until(page, 'only add calls', async () => {
      const rows = await requestRows(page);
      return rows.length === 2 && rows.every((row) => row.tool === 'add');
    });
    await until(page, 'the caller filter offering reader', async () => (await page.locator('#filter-caller option[value="reader"]').count()) === 1);
    await page.locator('#filter-caller').selectOption('reader');
    await until(page, 'only reader\'s add call', async () => {
      const rows = await requestRows(page);
      return rows.length === 1 && rows[0]!.tool === 'add' && rows[0]!.caller === 'reader';
    });
    await page.locator('#filter-tool').selectOption('');
    await page.locator('#filter-caller').selectOption('');
    await page.locator('#filter-status').selectOption('tool_error');
    await until(page, 'only the tool error', async () => {
      const rows = await requestRows(page);
      return rows.length === 1 && rows[0]!.tool === 'fail' && rows[0]!.status === 'tool_error';
    });
    await page.locator('#filter-status').selectOption('');
    await page.locator('#filter-server').selectOption('demo');
    await until(page, 'the demo server\'s calls', async () => {
      const rows = await requestRows(page);
      return rows.length >= 4 && rows.every((row) => row.server === 'demo');
    });
    await page.screenshot({ path: `${ARTIFACTS}dashboard-filtered.png`, fullPage: true });
    await page.locator('#filter-server').selectOption('');

    // The detail view: the entry from GET /api/v1/requests/:id, with its trace id and redacted capture.
    const echoRow = page.locator('#requests-body tr[data-id]', { has: page.locator('[data-field=tool]', { hasText: 'echo' }) });
    await echoRow.first().click();
    const detail = page.locator('#detail');
    await detail.locator('[data-field="trace id"]', { hasText: TRACE_ID }).waitFor();
    const captured = (await detail.locator('pre[data-captured=arguments]').textContent()) ?? '';
    assert.match(captured, /"password": "\[redacted\]"/);
    assert.doesNotMatch(captured, /hunter2/);
    assert.match((await detail.locator('pre[data-captured=result]').textContent()) ?? '', /seen in the browser/);
    await page.screenshot({ path: `${ARTIFACTS}dashboard-detail.png`, fullPage: true });
    await page.locator('#detail-close').click();
    assert.equal(await detail.isVisible(), false);

    // Live charts and per-tool figures come from the metrics JSON.
    await until(page, 'the calls-per-second chart', async () => (await page.locator('#chart-rate polyline').count()) > 0);
    await until(page, 'per-tool percentiles', async () => ((await page.locator('#tools-body tr[data-tool="demo__add"] [data-field=calls]').textContent()) ?? '') === '2');
    assert.equal(await page.locator('#chart-rate .legend li[data-series="all"]').count(), 1);
    assert.equal(await page.locator('#chart-latency .legend li[data-series="demo"]').count(), 1);

    // Rate-limit refusals by caller: ci-bot may make 2 requests a minute.
    for (let i = 0; i < 2; i++) assert.equal((await call(BOT, 'add', { a: i, b: 0 })).status, 200);
    assert.equal((await call(BOT, 'add', { a: 9, b: 0 })).status, 429);
    const bot = page.locator('#callers-body tr[data-caller="ci-bot"]');
    await until(page, 'ci-bot\'s refusal', async () => (await bot.count()) === 1 && (await bot.locator('[data-field=rate-limited-requests]').textContent()) === '1');
    await page.screenshot({ path: `${ARTIFACTS}dashboard-refusals.png`, fullPage: true });

    // The gateway's threads: main and the demo server's worker, from their periodic reports.
    await until(page, 'the thread rows', async () => (await page.locator('#threads-body tr[data-thread="main"]').count()) === 1 && (await page.locator('#threads-body tr[data-thread="demo#0"]').count()) === 1);
    assert.match((await page.locator('#threads-body tr[data-thread="demo#0"] [data-field=lag]').textContent()) ?? '', /^\d+(\.\d)? ms$/);
    assert.match((await page.locator('#threads-body tr[data-thread="demo#0"] [data-field=busy]').textContent()) ?? '', /^\d+(\.\d+)?\s?%$/);
    assert.equal(await page.locator('#threads-body tr[data-thread="demo#0"] [data-field=queued]').textContent(), '0');

    assert.deepEqual(errors, [], 'no script error and no CSP violation');
  });

  test('the page keeps the key for the tab and signs out', async () => {
    const { page } = await openDashboard();
    await signIn(page, ADMIN);
    await page.locator('#app').waitFor({ state: 'visible' });
    await page.reload();
    await page.locator('#app').waitFor({ state: 'visible' });
    await page.locator('#sign-out').click();
    await page.locator('#login').waitFor({ state: 'visible' });
    assert.equal(await page.evaluate(() => sessionStorage.getItem('mcp-gateway.apiKey')), null);
  });

  test('without authentication, a browser on this machine needs no key', async () => {
    const { page, errors } = await openDashboard(open);
    await page.locator('#app').waitFor({ state: 'visible' });
    await page.locator('#who', { hasText: 'no authentication' }).waitFor();
    assert.equal(await page.locator('#sign-out').isVisible(), false);
    assert.equal((await open.call('add', { a: 1, b: 2 })).status, 200);
    await until(page, 'the call', async () => (await requestRows(page)).some((row) => row.tool === 'add' && row.caller === 'anonymous'));
    assert.deepEqual(errors, []);
  });
});
