/** The URLs MCP is served on: a module of its own so the engines' counters can tell MCP traffic apart without loading the protocol. */
export const MCP_PATH = '/mcp';
/** The 2024-11-05 HTTP+SSE transport: a GET stream, and POSTs whose answers travel on it. */
export const SSE_PATH = '/sse';
export const MESSAGES_PATH = '/messages';
export const MCP_PATHS: ReadonlySet<string> = new Set([MCP_PATH, SSE_PATH, MESSAGES_PATH]);
