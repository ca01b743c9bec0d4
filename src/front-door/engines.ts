/**
 * Picks the HTTP engine. uWebSockets.js is a native addon that may not load
 * (no prebuilt binary for this platform or Node ABI, a glibc too old, the
 * optional dependency not installed), so it is only ever imported dynamically
 * from here, and `auto` falls back to node:http when it does not load.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { GatewayError } from '../errors.js';
import type { HttpEngine } from './engine.js';
import { createNodeEngine } from './node-engine.js';

export type EngineName = HttpEngine['name'];
export type EnginePreference = 'auto' | EngineName;

/** Fastest first: the order `auto` tries them in. */
export const ENGINE_NAMES: readonly EngineName[] = Object.freeze(['uws', 'node'] as const);

const UWS_PACKAGE = '@trufflesuite/uws-js-unofficial';

type UwsLoad = { readonly ok: true; readonly create: () => HttpEngine } | { readonly ok: false; readonly reason: string };

export async function selectEngine(preference: EnginePreference): Promise<HttpEngine> {
  if (preference === 'node') return createNodeEngine();
  if (preference !== 'uws' && preference !== 'auto') {
    throw new GatewayError('MCPGW_ERR_CONFIG', `unknown HTTP engine "${String(preference)}"; use auto, uws or node`);
  }
  const uws = await loadUws();
  if (uws.ok) return uws.create();
  if (preference === 'auto') return createNodeEngine();
  throw new GatewayError('MCPGW_ERR_UNSUPPORTED_FEATURE', `uWebSockets.js does not load on this machine: ${uws.reason}; use --http-engine node or auto`);
}

/** The engines that work on this machine, fastest first (tests run against each). */
export async function availableEngines(): Promise<EngineName[]> {
  return (await loadUws()).ok ? ['uws', 'node'] : ['node'];
}

/** Why `auto` would fall back to node (for a startup log line), or undefined when uWS loads. */
export async function uwsUnavailableReason(): Promise<string | undefined> {
  const uws = await loadUws();
  return uws.ok ? undefined : uws.reason;
}

/** Cheap to repeat: node caches both the addon and the module, so there is nothing to memoise. */
async function loadUws(): Promise<UwsLoad> {
  const forced = process.env.UWS_USE_FALLBACK;
  if (forced !== undefined && /^(1|true)$/i.test(forced)) return { ok: false, reason: 'UWS_USE_FALLBACK is set' };
  const binaryProblem = probeNativeBinary();
  if (binaryProblem !== undefined) return { ok: false, reason: binaryProblem };
  try {
    const module = await import('./uws-engine.js');
    if (!module.isNativeUws()) return { ok: false, reason: `${UWS_PACKAGE} fell back to its pure-JS imitation` };
    return { ok: true, create: module.createUwsEngine };
  } catch (error) {
    return { ok: false, reason: firstLine(error) };
  }
}

/**
 * Loads the addon the way the package would, but first and ourselves: the
 * package swallows the load error (printing it to stderr) and substitutes a
 * slow imitation, so this is the only place the real reason can be seen.
 */
function probeNativeBinary(): string | undefined {
  const require = createRequire(import.meta.url);
  let main: string;
  try {
    main = require.resolve(UWS_PACKAGE);
  } catch {
    return `${UWS_PACKAGE} is not installed`;
  }
  const binary = join(dirname(main), '..', 'binaries', `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`);
  try {
    require(binary);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'MODULE_NOT_FOUND') return `no prebuilt binary for ${process.platform}-${process.arch} with Node ABI ${process.versions.modules} (Node ${process.versions.node})`;
    return firstLine(error);
  }
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n', 1)[0] ?? text;
}
