/**
 * What the charts draw: a value per series for each poll, over the last few
 * minutes. Calls per second are the change in the call counters between two
 * polls divided by the time between them, so the line moves within one poll
 * of a burst (the 1-minute rate in the tables moves slower by design).
 */
import type { Metrics } from './types.js';

export const SPAN_MS = 5 * 60 * 1000;

export interface Point {
  readonly at: number;
  readonly value: number;
}

export class Timeline {
  readonly #series = new Map<string, Point[]>();

  push(at: number, values: ReadonlyMap<string, number>): void {
    for (const [name, value] of values) {
      let points = this.#series.get(name);
      if (points === undefined) this.#series.set(name, (points = []));
      points.push({ at, value });
    }
    for (const [name, points] of this.#series) {
      while (points.length > 0 && points[0]!.at < at - SPAN_MS) points.shift();
      if (points.length === 0) this.#series.delete(name);
    }
  }

  get series(): ReadonlyMap<string, readonly Point[]> {
    return this.#series;
  }
}

/** Calls per second (total, per server, per tool) and recent p95 per server, from successive metrics. */
export class Traffic {
  readonly rates = new Timeline();
  readonly toolRates = new Timeline();
  readonly latency = new Timeline();
  #previous: { at: number; metrics: Metrics } | undefined;

  add(at: number, metrics: Metrics): void {
    const previous = this.#previous;
    this.#previous = { at, metrics };
    const p95 = new Map<string, number>();
    for (const [id, server] of Object.entries(metrics.servers)) if (server.latencyMs !== null) p95.set(id, server.latencyMs.p95);
    this.latency.push(at, p95);
    if (previous === undefined) return;
    const seconds = (at - previous.at) / 1000;
    if (seconds <= 0) return;
    // A counter that went down means the gateway restarted: no rate for that step.
    const perSecond = (now: number, before: number | undefined) => (before === undefined ? now : now - before) / seconds;
    const serverRates = new Map<string, number>([['all', Math.max(0, perSecond(metrics.totals.calls, previous.metrics.totals.calls))]]);
    for (const [id, server] of Object.entries(metrics.servers)) {
      if (id === 'none') continue;
      const value = perSecond(server.calls, previous.metrics.servers[id]?.calls);
      if (value >= 0) serverRates.set(id, value);
    }
    this.rates.push(at, serverRates);
    const toolRates = new Map<string, number>();
    for (const [key, tool] of Object.entries(metrics.tools)) {
      const value = perSecond(tool.calls, previous.metrics.tools[key]?.calls);
      if (value >= 0) toolRates.set(key, value);
    }
    this.toolRates.push(at, toolRates);
  }
}
