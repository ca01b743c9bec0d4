/**
 * How a tool or prompt name is tied to its server when it has to be:
 * `<serverId><separator><name>` (`mcp.separator`, `__` by default). One value
 * carries the separator to every place that makes or parses such names, so
 * they can never disagree.
 */
import { DEFAULTS } from './config/defaults.js';

export const DEFAULT_SEPARATOR: string = DEFAULTS.mcp.separator;

/** Characters that are valid in MCP tool names, hence the only ones a separator may use. */
export const SEPARATOR_PATTERN = /^[A-Za-z0-9_.\-/]{1,8}$/;

export interface QualifiedName {
  readonly serverId: string;
  readonly name: string;
}

export class QualifiedNames {
  readonly separator: string;

  constructor(separator: string = DEFAULT_SEPARATOR) {
    this.separator = separator;
  }

  qualify(serverId: string, name: string): string {
    return serverId + this.separator + name;
  }

  /**
   * The server and name a qualified name may stand for, split at the first
   * separator. That split is the only one: the config refuses every id for
   * which `id + separator` holds the separator anywhere but at its end (see
   * `separatorConflict`).
   */
  split(qualified: string): QualifiedName | undefined {
    const at = qualified.indexOf(this.separator);
    if (at <= 0) return undefined;
    return { serverId: qualified.slice(0, at), name: qualified.slice(at + this.separator.length) };
  }
}

/**
 * Why a server id cannot be used with `separator`, or undefined when it can.
 * Not containing the separator is not enough: with separator `aa`, the id `xa`
 * gives `xa` + `aa` + `t` = `xaaat`, whose first `aa` starts inside the id.
 */
export function separatorConflict(id: string, separator: string): string | undefined {
  if (separator === '' || (id + separator).indexOf(separator) === id.length) return undefined;
  const where = `the separator in qualified tool names (<serverId>${separator}<tool>)`;
  if (id.includes(separator)) return `must not contain "${separator}", ${where}`;
  return `must not end in a way that runs into "${separator}", ${where}: "${id}${separator}…" would split early`;
}
