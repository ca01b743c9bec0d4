/**
 * Line charts and sparklines as inline SVG drawn from a Timeline. Colours come
 * from the stylesheet (`series-0` … `series-7`), so a series keeps its colour
 * in the chart and in the legend.
 */
import { h, s } from './dom.js';
import { SPAN_MS, type Point } from './timeline.js';

const WIDTH = 600;
const HEIGHT = 160;
const PAD = { left: 44, right: 8, top: 8, bottom: 18 };
const PALETTE_SIZE = 8;

/** Colour slots by series name, stable while the page is open. */
export class Palette {
  readonly #slots = new Map<string, number>();

  slot(name: string): number {
    let slot = this.#slots.get(name);
    if (slot === undefined) this.#slots.set(name, (slot = this.#slots.size % PALETTE_SIZE));
    return slot;
  }
}

function niceMax(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (value <= step * magnitude) return step * magnitude;
  return 10 * magnitude;
}

export function lineChart(figure: HTMLElement, title: string, series: ReadonlyMap<string, readonly Point[]>, now: number, palette: Palette, format: (value: number) => string): void {
  let max = 0;
  for (const points of series.values()) for (const point of points) max = Math.max(max, point.value);
  const top = niceMax(max);
  const innerWidth = WIDTH - PAD.left - PAD.right;
  const innerHeight = HEIGHT - PAD.top - PAD.bottom;
  const x = (at: number) => PAD.left + ((at - (now - SPAN_MS)) / SPAN_MS) * innerWidth;
  const y = (value: number) => PAD.top + innerHeight - (value / top) * innerHeight;
  const chart = s('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: 'chart', role: 'img', 'aria-label': title });
  for (const fraction of [0, 0.5, 1]) {
    const value = top * fraction;
    chart.append(s('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(value), y2: y(value), class: 'grid' }), s('text', { x: PAD.left - 4, y: y(value) + 4, class: 'axis', 'text-anchor': 'end' }, format(value)));
  }
  chart.append(s('text', { x: PAD.left, y: HEIGHT - 4, class: 'axis' }, '−5 min'), s('text', { x: WIDTH - PAD.right, y: HEIGHT - 4, class: 'axis', 'text-anchor': 'end' }, 'now'));
  const legend = h('ul', { class: 'legend' });
  for (const [name, points] of series) {
    const slot = palette.slot(name);
    const last = points[points.length - 1];
    if (points.length > 1) chart.append(s('polyline', { points: points.map((p) => `${x(p.at).toFixed(1)},${y(p.value).toFixed(1)}`).join(' '), class: `line series-${slot}` }));
    else if (last !== undefined) chart.append(s('circle', { cx: x(last.at), cy: y(last.value), r: 2.5, class: `dot series-${slot}` }));
    legend.append(h('li', { class: `series-${slot}`, 'data-series': name }, h('span', { class: 'swatch' }), `${name} `, h('strong', {}, last === undefined ? '–' : format(last.value))));
  }
  figure.replaceChildren(h('figcaption', {}, title), chart, legend);
}

export function sparkline(points: readonly Point[] | undefined, now: number): SVGElement {
  const width = 80;
  const height = 18;
  const line = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'sparkline', 'aria-hidden': 'true' });
  if (points === undefined || points.length < 2) return line;
  const top = niceMax(Math.max(...points.map((p) => p.value)));
  const coordinates = points.map((p) => `${(((p.at - (now - SPAN_MS)) / SPAN_MS) * width).toFixed(1)},${(height - 1 - (p.value / top) * (height - 2)).toFixed(1)}`);
  line.append(s('polyline', { points: coordinates.join(' '), class: 'line series-0' }));
  return line;
}
