/** How numbers and times read on the page. */

export function rate(perSecond: number): string {
  if (perSecond === 0) return '0';
  return perSecond < 0.01 ? '<0.01' : perSecond.toFixed(perSecond < 10 ? 2 : 1);
}

export function ms(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  return value < 10 ? `${Math.round(value * 10) / 10} ms` : `${Math.round(value)} ms`;
}

export function bytes(value: number): string {
  if (value < 1024) return `${value} B`;
  return value < 1024 * 1024 ? `${(value / 1024).toFixed(1)} KiB` : `${(value / 1024 / 1024).toFixed(1)} MiB`;
}

export function clock(iso: string): string {
  const date = new Date(iso);
  return date.toLocaleTimeString(undefined, { hour12: false });
}

export function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(fraction > 0 && fraction < 0.01 ? 2 : 0)}%`;
}
