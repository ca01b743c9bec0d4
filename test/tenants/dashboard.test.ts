/**
 * The dashboard as a tenant's caller sees it, in a real headless Chromium:
 * signed in with tenant acme's key, every panel (servers, tools, callers,
 * requests, threads) holds acme's slice and nothing of tenant globex, the
 * header names the view, and a caller who may not approve gets no approvals
 * panel (and no refused poll for it).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext } from 'playwright-core';
import { ARTIFACTS, launchChromium, openDashboard, requestRows, until } from '../dashboard/browser.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { GLOBEX, headersOf, KEYS, tenantConfig, tenantServers } from './helpers.js';

describe('the dashboard of a tenant', () => {
  let gw: RunningGateway;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  before(async () => {
    [gw, browser] = await Promise.all([startGateway(tenantServers(), { config: tenantConfig() }), launchChromium()]);
    for (const key of [KEYS.globex, KEYS.acmeTwo]) assert.equal((await gw.post('/api/v1/tools/call', { tool: 'shared' }, headersOf(key))).status, 200);
  });
  after(async () => {
    await Promise.all(contexts.map((context) => context.close()));
    await browser?.close();
    await gw?.stop();
  });

  test('acme\'s caller sees acme\'s view only, named in the header, without an approvals panel it may not use', async () => {
    const { page, errors, apiPaths } = await openDashboard(browser, gw.url, contexts);
    await page.locator('#api-key').fill(KEYS.acmeTwo);
    await page.locator('#login-form button[type=submit]').click();
    await page.locator('#app').waitFor({ state: 'visible' });
    await page.locator('#interval').selectOption('1');
    await until(page, 'acme\'s call in the requests table', async () => (await requestRows(page)).length >= 1);
    await until(page, 'acme\'s servers', async () => ((await page.locator('#servers-body').textContent()) ?? '').includes('acme-tools'));
    await page.screenshot({ path: `${ARTIFACTS}dashboard-tenant.png`, fullPage: true });
    assert.match((await page.locator('#who').textContent()) ?? '', /tenant=acme/);
    assert.equal(await page.locator('#approvals-panel').isVisible(), false);
    assert.ok(!apiPaths.includes('/api/v1/approvals'), 'the page does not poll approvals it may not see');
    const text = await page.locator('body').innerText();
    assert.doesNotMatch(text, GLOBEX);
    assert.ok((await requestRows(page)).every((row) => !GLOBEX.test(JSON.stringify(row))));
    assert.deepEqual(errors, []);
  });
});
