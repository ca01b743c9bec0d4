/**
 * Enough of a Dockerfile reader for the ship tests: instructions per stage
 * (comments dropped, `\` continuations joined), ENV pairs, exec-form (JSON)
 * arguments and HEALTHCHECK options.
 */
export interface Instruction {
  /** Upper case: FROM, RUN, ENV, … */
  readonly keyword: string;
  readonly args: string;
}

export interface Stage {
  /** The FROM line's image (build args not expanded) and `AS name`. */
  readonly from: string;
  readonly name: string | undefined;
  readonly instructions: readonly Instruction[];
}

export interface Dockerfile {
  /** ARGs before the first FROM, with their defaults. */
  readonly globalArgs: ReadonlyMap<string, string>;
  readonly stages: readonly Stage[];
}

export function parseDockerfile(text: string): Dockerfile {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (/^\s*#/.test(line)) continue; // comments (and parser directives), also inside continuations
    if (current === '' && line.trim() === '') continue;
    if (/\\\s*$/.test(line)) {
      current += line.replace(/\\\s*$/, '') + ' ';
      continue;
    }
    logical.push((current + line).trim());
    current = '';
  }
  if (current.trim() !== '') logical.push(current.trim());

  const globalArgs = new Map<string, string>();
  const stages: { from: string; name: string | undefined; instructions: Instruction[] }[] = [];
  for (const line of logical) {
    const match = /^(\S+)\s*(.*)$/s.exec(line);
    if (!match) continue;
    const keyword = match[1]!.toUpperCase();
    const args = match[2]!.trim();
    if (keyword === 'FROM') {
      const from = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!from) throw new Error(`cannot read FROM ${args}`);
      stages.push({ from: from[1]!, name: from[2], instructions: [] });
    } else if (stages.length === 0) {
      if (keyword === 'ARG') {
        const [name, value = ''] = args.split('=', 2) as [string, string?];
        globalArgs.set(name, value);
      }
    } else {
      stages.at(-1)!.instructions.push({ keyword, args });
    }
  }
  return { globalArgs, stages };
}

/** The image a FROM names, with global ARG defaults substituted. */
export function baseImage(file: Dockerfile, stage: Stage): string {
  return stage.from.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => file.globalArgs.get((a ?? b)!) ?? '');
}

/** `ENV A=1 B="two words"` (or the legacy `ENV A 1`) → pairs. */
export function envPairs(args: string): [string, string][] {
  const legacy = /^(\w+)\s+([^=]*)$/.exec(args);
  if (legacy && !args.includes('=')) return [[legacy[1]!, legacy[2]!]];
  const pairs: [string, string][] = [];
  for (const match of args.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g)) {
    const raw = match[2]!;
    const value = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw.startsWith("'") ? raw.slice(1, -1) : raw;
    pairs.push([match[1]!, value]);
  }
  return pairs;
}

/** Exec form `["node", "x.js"]` → its words; shell form is refused (the tests want exec form). */
export function execForm(args: string): string[] {
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((word) => typeof word === 'string')) throw new Error(`not an exec-form array: ${args}`);
  return parsed as string[];
}

/** `HEALTHCHECK --interval=30s … CMD [...]` → its options and the command's exec-form words. */
export function healthcheck(args: string): { options: Record<string, string>; command: string[] } {
  const options: Record<string, string> = {};
  let rest = args;
  for (let match = /^--([\w-]+)=(\S+)\s+/.exec(rest); match; match = /^--([\w-]+)=(\S+)\s+/.exec(rest)) {
    options[match[1]!] = match[2]!;
    rest = rest.slice(match[0].length);
  }
  const cmd = /^CMD\s+(.*)$/s.exec(rest);
  if (!cmd) throw new Error(`HEALTHCHECK without CMD: ${args}`);
  return { options, command: execForm(cmd[1]!) };
}
