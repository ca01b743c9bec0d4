/** The servers table: health state, circuit, restarts, tools, and live load from the metrics. */
import { h } from './dom.js';
import { ms, percent, rate } from './format.js';
import type { Health, Metrics } from './types.js';

const STATE_TONE: Readonly<Record<string, string>> = {
  ready: 'good',
  starting: 'warn',
  restarting: 'warn',
  unhealthy: 'warn',
  stopping: 'muted',
  stopped: 'muted',
  disabled: 'muted',
  failed: 'bad',
};

const CIRCUIT_TONE: Readonly<Record<string, string>> = { closed: 'good', 'half-open': 'warn', open: 'bad' };

function badge(text: string, tone: string | undefined): HTMLElement {
  return h('span', { class: `badge ${tone ?? 'muted'}` }, text);
}

export function renderServers(body: HTMLTableSectionElement, health: Health, metrics: Metrics): void {
  const rows = health.servers.map((server) => {
    const load = metrics.servers[server.id];
    return h(
      'tr',
      { 'data-server': server.id },
      h('th', { scope: 'row' }, server.id, server.name !== server.id ? h('small', {}, ` ${server.name}`) : null),
      h('td', { 'data-field': 'state' }, badge(server.state, STATE_TONE[server.state])),
      h('td', { 'data-field': 'circuit' }, badge(server.circuit, CIRCUIT_TONE[server.circuit])),
      h('td', {}, server.protocolVersion ?? '–'),
      h('td', { class: 'num', 'data-field': 'tools' }, server.tools),
      h('td', { class: 'num', 'data-field': 'restarts' }, server.restarts),
      h('td', { class: 'num' }, load?.inFlight ?? 0),
      h('td', { class: 'num', 'data-field': 'calls' }, load?.calls ?? 0),
      h('td', { class: 'num' }, load ? percent(load.errorRate) : '–'),
      h('td', { class: 'num' }, load ? rate(load.rates['1m']) : '–'),
      h('td', { class: 'num' }, ms(load?.latencyMs?.p95)),
      h('td', { class: 'error-text' }, server.lastError ?? ''),
    );
  });
  body.replaceChildren(...(rows.length > 0 ? rows : [h('tr', {}, h('td', { colspan: '12', class: 'empty' }, 'No servers are configured.'))]));
}
