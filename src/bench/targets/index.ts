/** One place that turns a TargetSpec (and the client choice) into a client for one load thread. */
import { SdkTarget } from '../sdk-client.js';
import type { ClientKind, Target, TargetSpec } from '../types.js';
import { LegacyMcpTarget } from './mcp-legacy.js';
import { ModernMcpTarget } from './mcp-modern.js';
import { SseMcpTarget } from './mcp-sse.js';
import { GetTarget, RestTarget } from './rest.js';
import { StdioTarget } from './stdio.js';

export interface TargetShare {
  readonly connections: number;
  readonly sessions: number;
  readonly timeoutMs: number;
}

export function createTarget(spec: TargetSpec, client: ClientKind, share: TargetShare): Target {
  if (client === 'sdk') return new SdkTarget(spec, spec.kind === 'mcp-legacy' || spec.kind === 'mcp-sse' ? share.sessions : share.connections, share.timeoutMs);
  switch (spec.kind) {
    case 'rest':
      return new RestTarget(spec.url, share.connections, share.timeoutMs, spec.headers);
    case 'get':
      return new GetTarget(spec.url, share.connections, share.timeoutMs, spec.headers);
    case 'mcp':
      return new ModernMcpTarget(spec.url, share.connections, share.timeoutMs, spec.headers);
    case 'mcp-legacy':
      return new LegacyMcpTarget(spec.url, share.connections, share.sessions, share.timeoutMs, spec.headers);
    case 'mcp-sse':
      return new SseMcpTarget(spec.url, share.connections, share.sessions, share.timeoutMs, spec.headers);
    case 'stdio':
      return new StdioTarget(spec.command, spec.args, { connections: share.connections, timeoutMs: share.timeoutMs, protocol: spec.protocol, ...(spec.env ? { env: spec.env } : {}) });
  }
}
