/**
 * The replay flow of the dashboard in headless Chromium, against a gateway
 * without authentication (a browser on this machine administers it) in front
 * of two real fixtures, alpha and beta: the request detail shows the capture,
 * Replay brings back the result and the diff, a tool not annotated read-only
 * needs the confirm box, redacted arguments need their values.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { fixtures } from '../fixtures/paths.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { ARTIFACTS, CHROMIUM, openDashboard, requestRows, until } from './browser.js';

describe('dashboard replay in Chromium', () => {
  let gw: RunningGateway;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), as .ci/run does`);
    mkdirSync(ARTIFACTS, { recursive: true });
    [gw, browser] = await Promise.all([
      startGateway(
        [
          { id: 'alpha', command: process.execPath, args: [fixtures.modernStdio], env: { FIXTURE_NAME: 'alpha', FIXTURE_VALIDATION_TOOLS: '1' } },
          { id: 'beta', command: process.execPath, args: [fixtures.modernStdio], env: { FIXTURE_NAME: 'beta' } },
        ],
        { config: { monitor: { capture: { tools: ['alpha/*'] } } } },
      ),
      chromium.launch({ executablePath: CHROMIUM, headless: true }),
    ]);
  });
  after(async () => {
    await Promise.all(contexts.map((context) => context.close()));
    await browser?.close();
    await gw?.stop();
  });

  async function openDetail(page: Page, tool: string): Promise<void> {
    await until(page, `the ${tool} call`, async () => (await requestRows(page)).some((row) => row.tool === tool));
    await page.locator('#requests-body tr[data-id]', { has: page.locator('[data-field=tool]', { hasText: new RegExp(`^${tool}$`) }) }).first().click();
    await page.locator('#detail [data-replay=run]').waitFor();
  }

  test('Replay shows the result and the diff; another server, confirm for tools that are not read-only, redacted values', async () => {
    for (const [tool, args] of [
      ['shared', undefined],
      ['broken', { a: 1 }],
      ['slow', { ms: 1, password: 'hunter2' }],
    ] as const) {
      assert.equal((await gw.post('/api/v1/tools/call', { tool, server: 'alpha', ...(args ? { arguments: args } : {}) })).status, 200);
    }
    const { page, errors } = await openDashboard(browser, gw.url, contexts);
    await page.locator('#app').waitFor({ state: 'visible' });
    await page.locator('#interval').selectOption('1');
    const detail = page.locator('#detail');

    // A read-only tool: no confirm box; replayed to its own server, the same answer.
    await openDetail(page, 'shared');
    assert.match((await detail.locator('pre[data-captured=result]').textContent()) ?? '', /"text": "alpha"/);
    await until(page, 'the confirm box hidden for a read-only tool', async () => !(await detail.locator('label.confirm').isVisible()));
    await detail.locator('[data-replay=run]').click();
    await detail.locator('[data-replay=identical]').waitFor();
    // To beta, which answers with its own name: the diff says so.
    await detail.locator('[data-replay=server]').selectOption('beta');
    await detail.locator('[data-replay=run]').click();
    const row = detail.locator('table[data-replay=diff] tbody tr');
    await row.first().waitFor();
    assert.equal(await row.count(), 1);
    assert.equal(await row.locator('[data-field=path]').textContent(), '/content/0/text');
    assert.equal(await row.locator('[data-field=kind]').textContent(), 'changed');
    assert.equal(await row.locator('[data-field=before]').textContent(), '"alpha"');
    assert.equal(await row.locator('[data-field=after]').textContent(), '"beta"');
    assert.match((await detail.locator('pre[data-replay=result]').textContent()) ?? '', /"text": "beta"/);
    await page.screenshot({ path: `${ARTIFACTS}dashboard-replay-diff.png`, fullPage: true });

    // Not read-only: without the box a dry run (nothing sent), with it the call runs and its counter moves.
    await openDetail(page, 'broken');
    await until(page, 'the confirm box', async () => detail.locator('label.confirm').isVisible());
    await detail.locator('[data-replay=run]').click();
    await detail.locator('[data-replay=dry-run]').waitFor();
    assert.match((await detail.locator('pre[data-replay=request]').textContent()) ?? '', /"a": 1/);
    await detail.locator('[data-replay=confirm]').check();
    await detail.locator('[data-replay=run]').click();
    await detail.locator('table[data-replay=diff] tr[data-kind=changed] [data-field=path]', { hasText: '/structuredContent/calls' }).waitFor();
    await page.screenshot({ path: `${ARTIFACTS}dashboard-replay-confirm.png`, fullPage: true });

    // Redacted arguments: the capture shows none of the secret; the replay needs the value.
    await openDetail(page, 'slow');
    const args = (await detail.locator('pre[data-captured=arguments]').textContent()) ?? '';
    assert.match(args, /"password": "\[redacted\]"/);
    assert.doesNotMatch(args, /hunter2/);
    await detail.locator('[data-replay=confirm]').check();
    await detail.locator('[data-replay=run]').click();
    await detail.locator('[data-replay=error]', { hasText: 'MCPGW_ERR_CAPTURE_REDACTED' }).waitFor();
    assert.equal(await detail.locator('[data-replay=arguments]').getAttribute('placeholder'), '{"password":""}');
    await detail.locator('[data-replay=arguments]').fill('{"password":"hunter2"}');
    await detail.locator('[data-replay=run]').click();
    await detail.locator('[data-replay=identical]').waitFor();
    await page.screenshot({ path: `${ARTIFACTS}dashboard-replay-redacted.png`, fullPage: true });

    // The replays are in the log, marked.
    await until(page, 'a replay in the list', async () => (await requestRows(page)).length >= 7);
    const replayed = (await gw.get('/api/v1/requests?limit=1')).body.requests[0];
    assert.equal(replayed.tool, 'slow');
    assert.equal(replayed.replayOf.source, 'log');
    assert.deepEqual(errors, [], 'no script error and no CSP violation');
  });
});
