/**
 * The front door's byte counters, kept by whichever engine serves: plain
 * numbers added to as bodies are read and answers written, so counting costs
 * an addition, never an allocation. Owned by the Gateway and handed to the
 * engine with its listen options (nothing global: two gateways count apart).
 *
 * What is counted, in both engines alike: body bytes only. A request counts
 * the body the gateway read (a body refused as too large, or never read,
 * counts nothing); a response counts its body as handed to the engine (a
 * whole answer, or each chunk of a stream), none for HEAD. Status lines,
 * headers and chunked framing differ between the engines and are not counted.
 */
import { MCP_PATHS } from './mcp-paths.js';

/** Where a request went: the REST API (`/api/…`), MCP (`/mcp`, `/sse`, `/messages`), or anything else (metrics, dashboard, well-known). */
export type Surface = 'rest' | 'mcp' | 'other';

/** Index order of the counters below. */
export const SURFACES: readonly Surface[] = Object.freeze(['rest', 'mcp', 'other'] as const);

/** 0 rest, 1 mcp, 2 other: the index into the counters. */
export type SurfaceIndex = 0 | 1 | 2;

export function surfaceOf(path: string): SurfaceIndex {
  if (path.startsWith('/api/')) return 0;
  return MCP_PATHS.has(path) ? 1 : 2;
}

export class FrontDoorTraffic {
  /** By SurfaceIndex. */
  readonly requestBytes: [number, number, number] = [0, 0, 0];
  readonly responseBytes: [number, number, number] = [0, 0, 0];
}

/** What an engine knows of its connections (TCP, to the listening port). */
export interface ConnectionCounts {
  /** Open now; null where it cannot be read. */
  readonly open: number | null;
  /** Accepted since listen; null where the engine cannot see connections arrive (uWS). */
  readonly accepted: number | null;
}
