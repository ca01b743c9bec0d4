/** Per tool: lifetime counts, calls per second over 1/5/15 minutes, recent percentiles, and a sparkline of the live rate. */
import { sparkline } from './charts.js';
import { h } from './dom.js';
import { ms, rate } from './format.js';
import type { Traffic } from './timeline.js';
import type { Metrics } from './types.js';

export function renderTools(body: HTMLTableSectionElement, metrics: Metrics, traffic: Traffic, now: number): void {
  const entries = Object.entries(metrics.tools).sort(([, a], [, b]) => b.calls - a.calls || a.tool.localeCompare(b.tool));
  const rows = entries.map(([key, tool]) =>
    h(
      'tr',
      { 'data-tool': key },
      h('th', { scope: 'row' }, tool.tool, h('small', {}, ` ${tool.server}`)),
      h('td', { class: 'num', 'data-field': 'calls' }, tool.calls),
      h('td', { class: 'num' }, tool.errors),
      h('td', { class: 'num' }, rate(tool.rates['1m'])),
      h('td', { class: 'num' }, rate(tool.rates['5m'])),
      h('td', { class: 'num' }, rate(tool.rates['15m'])),
      h('td', { class: 'num' }, ms(tool.latencyMs?.p50)),
      h('td', { class: 'num' }, ms(tool.latencyMs?.p95)),
      h('td', { class: 'num' }, ms(tool.latencyMs?.p99)),
      h('td', {}, sparkline(traffic.toolRates.series.get(key), now)),
    ),
  );
  body.replaceChildren(...(rows.length > 0 ? rows : [h('tr', {}, h('td', { colspan: '10', class: 'empty' }, 'No tool has been called yet.'))]));
}
