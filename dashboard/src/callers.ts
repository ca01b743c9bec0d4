/**
 * Refusals by caller: requests the front door turned away (rate limit,
 * credentials) and calls refused by per-server or per-tool limits.
 */
import { h } from './dom.js';
import type { Metrics } from './types.js';

interface Row {
  calls: number;
  rateLimitedRequests: number;
  rateLimitedCalls: number;
  otherRefusals: number;
}

export function renderCallers(body: HTMLTableSectionElement, metrics: Metrics): void {
  const rows = new Map<string, Row>();
  const row = (caller: string): Row => {
    let found = rows.get(caller);
    if (found === undefined) rows.set(caller, (found = { calls: 0, rateLimitedRequests: 0, rateLimitedCalls: 0, otherRefusals: 0 }));
    return found;
  };
  for (const [caller, tally] of Object.entries(metrics.callers)) {
    const r = row(caller);
    r.calls = tally.calls;
    r.rateLimitedCalls = tally.rateLimited;
  }
  for (const refusal of metrics.refusals) {
    if (refusal.reason === 'rate_limited') row(refusal.caller).rateLimitedRequests += refusal.count;
    else row(refusal.caller).otherRefusals += refusal.count;
  }
  const sorted = [...rows].sort(([a, x], [b, y]) => y.rateLimitedRequests + y.rateLimitedCalls - (x.rateLimitedRequests + x.rateLimitedCalls) || a.localeCompare(b));
  const cells = sorted.map(([caller, r]) =>
    h(
      'tr',
      { 'data-caller': caller },
      h('th', { scope: 'row' }, caller === 'none' ? h('em', {}, 'no valid credential') : caller),
      h('td', { class: 'num' }, r.calls),
      h('td', { class: `num${r.rateLimitedRequests > 0 ? ' hot' : ''}`, 'data-field': 'rate-limited-requests' }, r.rateLimitedRequests),
      h('td', { class: `num${r.rateLimitedCalls > 0 ? ' hot' : ''}`, 'data-field': 'rate-limited-calls' }, r.rateLimitedCalls),
      h('td', { class: 'num' }, r.otherRefusals),
    ),
  );
  body.replaceChildren(...(cells.length > 0 ? cells : [h('tr', {}, h('td', { colspan: '5', class: 'empty' }, 'No callers yet.'))]));
}
