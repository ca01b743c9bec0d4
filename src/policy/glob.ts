/** The `server/name` globs of access rules and per-tool limits. */

/** `*` is any run of characters ("/" included, for URIs); a pattern without "/" names that tool on every server. */
export function globSource(pattern: string): string {
  const full = pattern.includes('/') ? pattern : `*/${pattern}`;
  return full
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
}

/** One expression matching any of the patterns; undefined for none. */
export function globsPattern(patterns: readonly string[]): RegExp | undefined {
  if (patterns.length === 0) return undefined;
  return new RegExp(`^(?:${patterns.map(globSource).join('|')})$`, 's');
}
