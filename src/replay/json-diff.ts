/**
 * A structural diff of two JSON values, for comparing a replayed call's result
 * with the captured one: every leaf that was added, removed or changed, named
 * by its JSON Pointer (RFC 6901). Objects are compared key by key, arrays index
 * by index (a shifted array shows as changes at each index, which is what a
 * reader of a tool result expects to see), anything else by value.
 */
import { isDeepStrictEqual } from 'node:util';
import { pointerSegment } from '../json-pointer.js';

export interface JsonChange {
  /** JSON Pointer of the value, "" for the whole document. */
  readonly path: string;
  readonly kind: 'added' | 'removed' | 'changed';
  /** Absent for `added`. */
  readonly before?: unknown;
  /** Absent for `removed`. */
  readonly after?: unknown;
}

/** Deeper than this the two sides are compared as wholes (JSON from an upstream has no depth limit of its own). */
const MAX_DEPTH = 64;

export function diffJson(before: unknown, after: unknown): JsonChange[] {
  const changes: JsonChange[] = [];
  walk(before, after, '', 0, changes);
  return changes;
}

function walk(before: unknown, after: unknown, path: string, depth: number, changes: JsonChange[]): void {
  if (Array.isArray(before) && Array.isArray(after) && depth < MAX_DEPTH) {
    const shared = Math.min(before.length, after.length);
    for (let i = 0; i < shared; i++) walk(before[i], after[i], `${path}/${i}`, depth + 1, changes);
    for (let i = shared; i < before.length; i++) changes.push({ path: `${path}/${i}`, kind: 'removed', before: before[i] });
    for (let i = shared; i < after.length; i++) changes.push({ path: `${path}/${i}`, kind: 'added', after: after[i] });
    return;
  }
  if (isPlainObject(before) && isPlainObject(after) && depth < MAX_DEPTH) {
    for (const key of Object.keys(before)) {
      const at = `${path}/${pointerSegment(key)}`;
      if (!Object.hasOwn(after, key)) changes.push({ path: at, kind: 'removed', before: before[key] });
      else walk(before[key], after[key], at, depth + 1, changes);
    }
    for (const key of Object.keys(after)) if (!Object.hasOwn(before, key)) changes.push({ path: `${path}/${pointerSegment(key)}`, kind: 'added', after: after[key] });
    return;
  }
  if (!isDeepStrictEqual(before, after)) changes.push({ path, kind: 'changed', before, after });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
