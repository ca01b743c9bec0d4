/**
 * The gateway's own health: how busy each thread's event loop is, its lag and
 * heap (main, and one worker per server replica with its queue), from the last
 * report.
 */
import { h } from './dom.js';
import { bytes, ms, percent } from './format.js';
import type { Metrics } from './types.js';

export function renderThreads(body: HTMLTableSectionElement, metrics: Metrics): void {
  const labels = Object.keys(metrics.threads).sort((a, b) => (a === 'main' ? -1 : b === 'main' ? 1 : a.localeCompare(b)));
  const rows = labels.map((label) => {
    const thread = metrics.threads[label]!;
    const worker = metrics.workers[label];
    return h(
      'tr',
      { 'data-thread': label },
      h('th', { scope: 'row' }, label),
      h('td', { class: 'num', 'data-field': 'busy' }, percent(thread.utilization)),
      h('td', { class: 'num', 'data-field': 'lag' }, ms(thread.lagMeanSeconds * 1000)),
      h('td', { class: 'num' }, ms(thread.lagP99Seconds * 1000)),
      h('td', { class: 'num' }, `${bytes(thread.heapUsedBytes)} / ${bytes(thread.heapTotalBytes)}`),
      h('td', { class: `num${worker !== undefined && worker.queued > 0 ? ' hot' : ''}`, 'data-field': 'queued' }, worker === undefined ? '–' : worker.queued),
      h('td', { class: 'num' }, worker === undefined ? '–' : worker.running),
    );
  });
  body.replaceChildren(...(rows.length > 0 ? rows : [h('tr', {}, h('td', { colspan: '7', class: 'empty' }, 'No thread has reported yet.'))]));
}
