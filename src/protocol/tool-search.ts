/**
 * `toolDiscovery: search`: for agents whose context window cannot hold
 * hundreds of tool definitions, tools/list returns two meta-tools instead —
 * `search_tools` (ranked keyword search returning full definitions) and
 * `call_tool` (calls any tool by its exposed name).
 */

type Tool = Readonly<Record<string, unknown>>;

export const SEARCH_TOOLS = 'search_tools';
export const CALL_TOOL = 'call_tool';

export const META_TOOLS: readonly Tool[] = [
  {
    name: SEARCH_TOOLS,
    title: 'Search tools',
    description:
      'Find tools by what they do. Returns the full definitions (name, description, input schema) of the best matches; call one with call_tool. Search again with other words if nothing fits.',
    inputSchema: {
      type: 'object',
      properties: {
        query: { type: 'string', description: 'Words describing the task, e.g. "read a file" or "create github issue".' },
        limit: { type: 'integer', minimum: 1, maximum: 20, description: 'How many tools to return (default 5).' },
      },
      required: ['query'],
    },
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  },
  {
    name: CALL_TOOL,
    title: 'Call a tool',
    description: 'Call a tool found with search_tools, by its exact name, with arguments matching its input schema.',
    inputSchema: {
      type: 'object',
      properties: {
        name: { type: 'string', description: 'The tool name as search_tools returned it.' },
        arguments: { type: 'object', description: "The tool's arguments." },
      },
      required: ['name'],
    },
  },
];

const DEFAULT_LIMIT = 5;
const MAX_LIMIT = 20;

/** Ranks tools by how well their name, title and description match the query's words. */
export function searchTools(tools: readonly Tool[], query: string, limit = DEFAULT_LIMIT): Tool[] {
  const words = tokens(query);
  if (words.length === 0) return [];
  const scored: { tool: Tool; score: number }[] = [];
  for (const tool of tools) {
    const name = String(tool.name).toLowerCase();
    const nameWords = new Set(tokens(name));
    const titleWords = new Set(tokens(String(tool.title ?? (tool.annotations as { title?: string } | undefined)?.title ?? '')));
    const descriptionWords = new Set(tokens(String(tool.description ?? '')));
    let score = 0;
    for (const word of words) {
      if (nameWords.has(word)) score += 3;
      else if (name.includes(word)) score += 2;
      if (titleWords.has(word)) score += 2;
      if (descriptionWords.has(word)) score += 1;
    }
    if (name === query.trim().toLowerCase()) score += 10;
    if (score > 0) scored.push({ tool, score });
  }
  scored.sort((a, b) => b.score - a.score || String(a.tool.name).localeCompare(String(b.tool.name)));
  return scored.slice(0, Math.max(1, Math.min(MAX_LIMIT, limit))).map((entry) => entry.tool);
}

/** Lower-case words of letters and digits; `snake_case` and `camelCase` split too. */
function tokens(text: string): string[] {
  return text
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word.length > 1);
}
