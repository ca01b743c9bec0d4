/** Public API for embedding: `import { Gateway, loadConfig } from 'mcp-gateway'`. */
export { Gateway } from './gateway.js';
export type { GatewayOptions, StartReport, StartReportEntry, ServerState, ProtocolEra } from './gateway-types.js';
export { loadConfig, parseConfig, normalizeConfig } from './config/load.js';
export { embeddedDefaultConfig } from './config/default-config.js';
export type * from './config/types.js';
export { GatewayError, ERRORS, type ErrorCode, type WireError } from './errors.js';
export { VERSION } from './version.js';
export type { Caller } from './policy/caller.js';
export { MemoryRateLimitStore, type RateLimitStore, type RateLimitDecision } from './policy/rate-limit.js';
