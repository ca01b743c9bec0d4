/** JSON Pointers (RFC 6901): how captures name redacted fields and diffs name changed ones. */

/** `~` and `/` escaped as RFC 6901 says. */
export function pointerSegment(key: string | number): string {
  return String(key).replaceAll('~', '~0').replaceAll('/', '~1');
}

/** The segments of a JSON Pointer; throws on one that does not start with "/". */
export function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new Error(`"${pointer}" is not a JSON Pointer (it must start with "/")`);
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** Whether `pointer` names a value inside `document`. */
export function hasPointer(document: unknown, pointer: string): boolean {
  let here = document;
  for (const segment of pointerSegments(pointer)) {
    if (typeof here !== 'object' || here === null || !Object.hasOwn(here, segment)) return false;
    here = (here as Record<string, unknown>)[segment];
  }
  return true;
}

/** A copy of `document` with the value at each pointer (where there is one) replaced by `mask`. */
export function maskAt(document: unknown, pointers: readonly string[], mask: unknown): unknown {
  if (pointers.length === 0) return document;
  const copy = structuredClone(document);
  for (const pointer of pointers) {
    const segments = pointerSegments(pointer);
    const last = segments.pop();
    if (last === undefined) return mask;
    let parent: unknown = copy;
    for (const segment of segments) parent = typeof parent === 'object' && parent !== null ? (parent as Record<string, unknown>)[segment] : undefined;
    if (typeof parent === 'object' && parent !== null && Object.hasOwn(parent, last)) (parent as Record<string, unknown>)[last] = mask;
  }
  return copy;
}
