/**
 * The dashboard's Pending approvals panel in a real headless Chromium: a REST
 * call held for approval shows up (arguments redacted), Approve lets it run,
 * Deny refuses it, and the upstream's own counter shows only the approved
 * call arrived. Screenshot: test-artifacts/dashboard-approvals.png.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { fixtures } from '../fixtures/paths.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));
const ADMIN = 'admin-key-for-approvals';
const USER = 'user-key-for-approvals';
const SHOWS_WITHIN_MS = 8000;

describe('dashboard: pending approvals in Chromium', () => {
  let gw: RunningGateway;
  let browser: Browser;

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), as .ci/run does`);
    mkdirSync(ARTIFACTS, { recursive: true });
    [gw, browser] = await Promise.all([
      startGateway([{ id: 'ops', command: process.execPath, args: [fixtures.approvalStdio] }], {
        config: {
          auth: { strategy: 'api-key', apiKeys: [{ key: ADMIN, name: 'ops-lead', roles: ['admin'] }, { key: USER, name: 'agent', roles: [] }] },
          approval: { rules: [{ tools: ['ops/wipe'] }] },
        },
      }),
      chromium.launch({ executablePath: CHROMIUM, headless: true }),
    ]);
  });
  after(async () => {
    await browser?.close();
    await gw?.stop();
  });

  const call = (target: string) =>
    fetch(`${gw.url}/api/v1/tools/call`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': USER }, body: JSON.stringify({ tool: 'wipe', arguments: { target, token: 'hunter2' } }) });
  const row = (page: Page, target: string) => page.locator('#approvals-body tr[data-approval]', { hasText: target });

  test('Approve runs the held call, Deny refuses it; both recorded with who decided', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    try {
      await page.goto(`${gw.url}/dashboard`);
      await page.locator('#api-key').fill(ADMIN);
      await page.locator('#login-form button[type=submit]').click();
      await page.locator('#approvals-body', { hasText: 'No call waits for approval.' }).waitFor({ timeout: SHOWS_WITHIN_MS });

      const approved = call('db-1');
      const denied = call('db-2');
      await row(page, 'db-1').waitFor({ timeout: SHOWS_WITHIN_MS });
      await row(page, 'db-2').waitFor({ timeout: SHOWS_WITHIN_MS });
      const text = (await row(page, 'db-1').textContent()) ?? '';
      assert.match(text, /ops\/wipe/);
      assert.match(text, /agent/);
      assert.match(text, /\[redacted\]/);
      assert.doesNotMatch(text, /hunter2/);
      assert.match((await page.locator('#approvals-count').textContent()) ?? '', /2 waiting/);
      await page.screenshot({ path: `${ARTIFACTS}dashboard-approvals.png`, fullPage: true });

      await row(page, 'db-1').locator('[data-field=reason]').fill('ticket 7');
      await row(page, 'db-1').locator('[data-action=approve]').click();
      const approvedResponse = await approved;
      assert.equal(approvedResponse.status, 200);
      await row(page, 'db-2').locator('[data-action=deny]').click();
      const deniedResponse = await denied;
      assert.equal(deniedResponse.status, 403);
      assert.equal(((await deniedResponse.json()) as { error: { code: string } }).error.code, 'MCPGW_ERR_APPROVAL_DENIED');
      await page.locator('#approvals-body', { hasText: 'No call waits for approval.' }).waitFor({ timeout: SHOWS_WITHIN_MS });

      const counts = await gw.post('/api/v1/tools/call', { tool: 'calls' }, { 'x-api-key': USER });
      assert.equal(counts.body.structuredContent.wipe, 1, 'only the approved call reached the upstream');
      const log = await gw.get('/api/v1/requests?tool=wipe', { 'x-api-key': ADMIN });
      const entries = await Promise.all(log.body.requests.map(async (entry: { id: number }) => (await gw.get(`/api/v1/requests/${entry.id}`, { 'x-api-key': ADMIN })).body));
      type Logged = { outcome: string; decidedBy?: string; reason?: string; via: string };
      const byOutcome: Record<string, Logged> = Object.fromEntries(entries.map((entry: { approval: Logged }) => [entry.approval.outcome, entry.approval]));
      assert.equal(byOutcome.approved?.decidedBy, 'ops-lead');
      assert.equal(byOutcome.approved?.reason, 'ticket 7');
      assert.equal(byOutcome.approved?.via, 'api');
      assert.equal(byOutcome.denied?.decidedBy, 'ops-lead');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
});
