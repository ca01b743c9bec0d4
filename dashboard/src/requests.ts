/**
 * Recent requests: filtered by server, tool, status and caller through the
 * API's own query parameters, paged back with `before`/`nextBefore`, and a
 * detail view from `GET /api/v1/requests/:id`. The newest page follows the
 * log live; an older page stays put until the user goes back to the newest.
 */
import type { Api } from './api.js';
import { byId, h, setOptions } from './dom.js';
import { bytes, clock, ms } from './format.js';
import { replayPanel } from './replay.js';
import type { Metrics, RequestEntry, RequestPage } from './types.js';

const PAGE_SIZE = 50;
const STATUS_TONE: Readonly<Record<RequestEntry['status'], string>> = { ok: 'good', tool_error: 'warn', error: 'bad' };

export class RequestsView {
  readonly #api: Api;
  readonly #body = byId<HTMLTableSectionElement>('requests-body');
  readonly #filters = {
    server: byId<HTMLSelectElement>('filter-server'),
    tool: byId<HTMLSelectElement>('filter-tool'),
    status: byId<HTMLSelectElement>('filter-status'),
    caller: byId<HTMLSelectElement>('filter-caller'),
  };
  readonly #older = byId<HTMLButtonElement>('requests-older');
  readonly #newest = byId<HTMLButtonElement>('requests-newest');
  readonly #where = byId<HTMLElement>('requests-where');
  readonly #detail = byId<HTMLElement>('detail');
  readonly #detailBody = byId<HTMLElement>('detail-body');
  /** The `before` of each page the user stepped back from; empty on the live, newest page. */
  #trail: number[] = [];
  #nextBefore: number | null = null;
  #selected: number | undefined;
  /** The servers the gateway has, offered as replay targets. */
  #servers: readonly string[] = [];
  /** Bumped on every filter or page change, so an answer to an older question is dropped. */
  #generation = 0;
  readonly #onChange: () => void;

  constructor(api: Api, onChange: () => void) {
    this.#api = api;
    this.#onChange = onChange;
    for (const select of Object.values(this.#filters)) select.addEventListener('change', () => this.#reset());
    this.#older.addEventListener('click', () => {
      if (this.#nextBefore === null) return;
      this.#trail.push(this.#nextBefore);
      this.#move();
    });
    this.#newest.addEventListener('click', () => this.#reset());
    byId<HTMLButtonElement>('detail-close').addEventListener('click', () => this.close());
    document.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.close();
    });
    this.#body.addEventListener('click', (event) => {
      const row = (event.target as Element).closest('tr[data-id]');
      if (row !== null) void this.open(Number(row.getAttribute('data-id')));
    });
    this.#body.addEventListener('keydown', (event) => {
      const row = (event.target as Element).closest('tr[data-id]');
      if (row !== null && (event.key === 'Enter' || event.key === ' ')) {
        event.preventDefault();
        void this.open(Number(row.getAttribute('data-id')));
      }
    });
  }

  get live(): boolean {
    return this.#trail.length === 0;
  }

  /** Offers the servers, tools and callers the gateway knows, keeping what is chosen. */
  updateChoices(servers: readonly string[], metrics: Metrics): void {
    this.#servers = servers;
    setOptions(this.#filters.server, servers, 'any server');
    setOptions(this.#filters.tool, [...new Set(Object.values(metrics.tools).map((tool) => tool.tool))], 'any tool');
    setOptions(this.#filters.caller, Object.keys(metrics.callers), 'any caller');
  }

  /** The query the API gets: the filters that are set, the page size, and the page's `before`. */
  query(): string {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    for (const [name, select] of Object.entries(this.#filters)) if (select.value !== '') query.set(name, select.value);
    const before = this.#trail[this.#trail.length - 1];
    if (before !== undefined) query.set('before', String(before));
    return query.toString();
  }

  async refresh(): Promise<void> {
    const generation = this.#generation;
    const page = await this.#api.get<RequestPage>(`/api/v1/requests?${this.query()}`);
    if (generation !== this.#generation) return;
    this.#render(page);
  }

  #reset(): void {
    this.#trail = [];
    this.#move();
  }

  #move(): void {
    this.#generation++;
    this.#onChange();
  }

  #render(page: RequestPage): void {
    this.#nextBefore = page.nextBefore;
    this.#older.disabled = page.nextBefore === null;
    this.#newest.disabled = this.live;
    this.#where.textContent = this.live ? 'newest first, live' : `older entries (page ${this.#trail.length + 1}), paused`;
    if (!page.enabled) {
      this.#body.replaceChildren(h('tr', {}, h('td', { colspan: '9', class: 'empty' }, 'The request log is off (monitor.requestLog: false).')));
      return;
    }
    const rows = page.requests.map((entry) =>
      h(
        'tr',
        { 'data-id': String(entry.id), 'data-status': entry.status, tabindex: '0', class: entry.id === this.#selected ? 'selected' : undefined },
        h('td', {}, clock(entry.time)),
        h('td', { 'data-field': 'caller' }, entry.caller),
        h('td', { 'data-field': 'server' }, entry.server ?? '–'),
        h('td', { 'data-field': 'tool' }, entry.tool),
        h('td', { 'data-field': 'status' }, h('span', { class: `badge ${STATUS_TONE[entry.status]}` }, entry.status)),
        h('td', { class: 'num' }, entry.httpStatus),
        h('td', { class: 'num' }, ms(entry.durationMs)),
        h('td', {}, entry.via),
        h('td', { class: 'mono' }, entry.traceId.slice(0, 8)),
      ),
    );
    this.#body.replaceChildren(...(rows.length > 0 ? rows : [h('tr', {}, h('td', { colspan: '9', class: 'empty' }, 'No request matches.'))]));
  }

  async open(id: number): Promise<void> {
    this.#selected = id;
    for (const row of this.#body.querySelectorAll('tr[data-id]')) row.classList.toggle('selected', row.getAttribute('data-id') === String(id));
    this.#detail.hidden = false;
    this.#detailBody.replaceChildren(h('p', { class: 'muted' }, `Loading request ${id}…`));
    try {
      const entry = await this.#api.get<RequestEntry>(`/api/v1/requests/${id}`);
      if (this.#selected === id) this.#detailBody.replaceChildren(...detail(entry), ...(entry.captured?.request === undefined ? [] : [replayPanel(this.#api, entry, this.#servers)]));
    } catch (error) {
      if (this.#selected === id) this.#detailBody.replaceChildren(h('p', { class: 'error-text' }, error instanceof Error ? error.message : String(error)));
    }
  }

  close(): void {
    this.#selected = undefined;
    this.#detail.hidden = true;
    for (const row of this.#body.querySelectorAll('tr.selected')) row.classList.remove('selected');
  }
}

function detail(entry: RequestEntry): Node[] {
  const fields: [string, string][] = [
    ['id', String(entry.id)],
    ['time', new Date(entry.time).toLocaleString()],
    ['trace id', entry.traceId],
    ['via', entry.via],
    ['caller', entry.caller],
    ['server', entry.server ?? '–'],
    ['tool', entry.tool],
    ['status', `${entry.status} (HTTP ${entry.httpStatus})`],
    ['duration', ms(entry.durationMs)],
    ['upstream', ms(entry.upstreamMs)],
    ['queued', ms(entry.queuedMs)],
    ['gateway', entry.gatewayMs === undefined ? '–' : ms(entry.gatewayMs)],
    ['request', bytes(entry.requestBytes)],
    ['response', bytes(entry.responseBytes)],
  ];
  if (entry.errorCode !== undefined) fields.push(['error', `${entry.errorCode}: ${entry.errorMessage ?? ''}`]);
  if (entry.replayOf !== undefined) fields.push(['replay of', entry.replayOf.source === 'log' ? `#${entry.replayOf.id}` : `#${entry.replayOf.id} of an imported capture`]);
  const list = h('dl', { class: 'fields' });
  for (const [name, value] of fields) list.append(h('dt', {}, name), h('dd', { 'data-field': name }, value));
  const nodes: Node[] = [h('h3', {}, `${entry.tool} `, h('small', {}, `#${entry.id}`)), list];
  const captured = entry.captured;
  if (captured === undefined) {
    nodes.push(h('p', { class: 'muted' }, 'This call was not captured (monitor.capture).'));
    return nodes;
  }
  const parts: [string, 'arguments' | '_meta' | 'result', unknown, boolean][] = [];
  if (captured.request !== undefined) {
    parts.push(['arguments', 'arguments', captured.request.arguments ?? '(none sent)', true]);
    parts.push(['_meta', '_meta', captured.request._meta, captured.request._meta !== undefined]);
  }
  parts.push(['result', 'result', captured.result, captured.result !== undefined]);
  for (const [title, part, value, present] of parts) {
    if (!present) continue;
    const cut = captured.truncated?.includes(part) === true;
    nodes.push(h('h4', {}, title, cut ? h('small', {}, ' (cut to monitor.capture.maxBytes)') : null), h('pre', { 'data-captured': part }, typeof value === 'string' && (cut || value === '(none sent)') ? value : JSON.stringify(value, null, 2)));
  }
  if (captured.redacted !== undefined && captured.redacted.length > 0) nodes.push(h('p', { class: 'muted', 'data-captured': 'redacted' }, `Redacted before it was stored: ${captured.redacted.join(', ')}`));
  return nodes;
}
