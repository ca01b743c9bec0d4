/**
 * The dashboard's entry: who is looking (an admin key, or a browser on the
 * gateway's own machine when it runs without authentication), then a poll of
 * the JSON API every second or few, drawn into the panels.
 */
import { Api, ApiError } from './api.js';
import { ApprovalsView } from './approvals.js';
import { lineChart, Palette } from './charts.js';
import { byId } from './dom.js';
import { ms, rate } from './format.js';
import { renderCallers } from './callers.js';
import { RequestsView } from './requests.js';
import { renderServers } from './servers.js';
import { renderThreads } from './threads.js';
import { Traffic } from './timeline.js';
import { renderTools } from './tools.js';
import type { Health, Metrics, Whoami } from './types.js';

const api = new Api();
const traffic = new Traffic();
const palette = new Palette();
const screens = { login: byId('login'), refused: byId('refused'), app: byId('app') };
const notice = byId('notice');
const interval = byId<HTMLSelectElement>('interval');
let timer: number | undefined;
let polling = false;
/** One poll at a time: a filter change during a poll asks for another right after it. */
let running = false;
let again = false;

function show(screen: keyof typeof screens): void {
  for (const [name, element] of Object.entries(screens)) element.hidden = name !== screen;
  byId('session').hidden = screen !== 'app';
}

function say(text: string): void {
  notice.textContent = text;
  notice.hidden = text === '';
}

const requests = new RequestsView(api, () => void tick());
const approvals = new ApprovalsView(api, { body: byId<HTMLTableSectionElement>('approvals-body'), count: byId('approvals-count') }, () => void tick(), say);

/** What the gateway wrote into the page: `on` when it authenticates callers. */
const authentication = document.querySelector('meta[name="mcp-gateway-authentication"]')?.getAttribute('content');

/** False for a caller who may not see held calls (multi-tenant mode: a tenant's non-approver). */
let showApprovals = true;

async function start(): Promise<void> {
  stop();
  // No key yet and one is needed: ask for it first rather than make a request bound to be refused.
  if (api.key === null && authentication === 'on') {
    byId('login-message').textContent = 'This gateway needs an API key with an admin role.';
    show('login');
    return;
  }
  try {
    const me = await api.get<Whoami>('/api/v1/admin/whoami');
    const who = me.authentication ? `${me.name} (${me.roles.join(', ')})` : 'no authentication: this machine only';
    byId('who').textContent = me.scope === undefined ? who : `${who}, ${me.scope}`;
    // A tenant's caller without an approver role gets the rest of the dashboard, not a refusal every poll.
    showApprovals = me.approver !== false;
    byId('approvals-panel').hidden = !showApprovals;
    byId<HTMLButtonElement>('sign-out').hidden = !me.authentication;
    show('app');
    polling = true;
    await tick();
  } catch (error) {
    // The gateway down or busy: said in the notice, and asked again shortly.
    if (!refuse(error)) timer = window.setTimeout(() => void start(), 5000);
  }
}

function stop(): void {
  polling = false;
  if (timer !== undefined) clearTimeout(timer);
  timer = undefined;
}

/** A 401 asks for a key (again) and a 403 says why this key may not look: both stop the polling. Anything else is only said. */
function refuse(error: unknown): boolean {
  if (error instanceof ApiError && error.status === 401) {
    stop();
    const hadKey = api.key !== null;
    api.key = null;
    byId('login-message').textContent = hadKey ? `That key was refused: ${error.message}` : 'This gateway needs an API key with an admin role.';
    show('login');
    byId<HTMLInputElement>('api-key').focus();
    return true;
  }
  if (error instanceof ApiError && error.status === 403) {
    stop();
    byId('refused-message').textContent = error.message;
    show('refused');
    return true;
  }
  if (!(error instanceof ApiError)) console.error(error);
  say(error instanceof Error ? error.message : String(error));
  return false;
}

async function tick(): Promise<void> {
  if (!polling) return;
  if (running) {
    again = true;
    return;
  }
  running = true;
  if (timer !== undefined) clearTimeout(timer);
  timer = undefined;
  let delayMs = Number(interval.value) * 1000;
  try {
    const [health, metrics] = await Promise.all([api.get<Health>('/api/v1/health'), api.get<Metrics>('/api/v1/metrics'), requests.live ? requests.refresh() : Promise.resolve(), showApprovals ? approvals.refresh() : Promise.resolve()]);
    draw(health, metrics);
    say('');
    byId('updated').textContent = `updated ${new Date().toLocaleTimeString(undefined, { hour12: false })}`;
  } catch (error) {
    if (refuse(error)) {
      running = false;
      return;
    }
    if (error instanceof ApiError && error.status === 429) {
      delayMs = Math.max(delayMs || 5000, (error.retryAfter ?? 5) * 1000);
      say(`Rate limited: trying again in ${Math.round(delayMs / 1000)} s (the dashboard's polls count against this key's rateLimit).`);
    }
  }
  running = false;
  if (again) {
    again = false;
    return tick();
  }
  if (polling && delayMs > 0) timer = window.setTimeout(() => void tick(), delayMs);
}

function draw(health: Health, metrics: Metrics): void {
  const now = Date.now();
  traffic.add(now, metrics);
  renderServers(byId<HTMLTableSectionElement>('servers-body'), health, metrics);
  lineChart(byId('chart-rate'), 'Calls per second', traffic.rates.series, now, palette, rate);
  lineChart(byId('chart-latency'), 'Latency p95, last 1–2 min', traffic.latency.series, now, palette, ms);
  renderTools(byId<HTMLTableSectionElement>('tools-body'), metrics, traffic, now);
  renderCallers(byId<HTMLTableSectionElement>('callers-body'), metrics);
  renderThreads(byId<HTMLTableSectionElement>('threads-body'), metrics);
  requests.updateChoices(
    health.servers.map((server) => server.id),
    metrics,
  );
  byId('totals').textContent = `${metrics.totals.calls} calls, ${metrics.totals.errors} errors · ${rate(metrics.totals.rates['1m'])}/s over 1 min · up ${Math.round(metrics.uptimeSeconds / 60)} min`;
}

byId<HTMLFormElement>('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = byId<HTMLInputElement>('api-key');
  if (input.value.trim() === '') return;
  api.key = input.value.trim();
  input.value = '';
  void start();
});
byId<HTMLButtonElement>('other-key').addEventListener('click', () => {
  api.key = null;
  byId('login-message').textContent = 'Give an API key with an admin role.';
  show('login');
});
byId<HTMLButtonElement>('sign-out').addEventListener('click', () => {
  stop();
  api.key = null;
  byId('login-message').textContent = 'Signed out.';
  show('login');
});
interval.addEventListener('change', () => void tick());
document.addEventListener('visibilitychange', () => {
  // A hidden tab need not poll; coming back catches up at once.
  if (document.hidden) {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  } else void tick();
});

void start();
