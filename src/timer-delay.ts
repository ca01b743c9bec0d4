/** setTimeout's ceiling (about 24.8 days): a longer delay would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A delay setTimeout honours: never negative, never past its ceiling. */
export function timerDelay(ms: number): number {
  return Math.min(MAX_TIMER_MS, Math.max(0, ms));
}
