/**
 * `mcp-gateway connect <url>`: a stdio MCP server that forwards to a remote
 * gateway (or any Streamable HTTP MCP server), for clients that can only
 * launch stdio servers. stdout carries JSON-RPC only; everything else goes to stderr.
 */
import { parseArgs } from 'node:util';
import { substituteEnv } from '../config/env.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type CliIo, type CommandSpec } from './args.js';
import { commandHelp, HELP_OPTION } from './help.js';

// Kept in step with REMOTE_PROTOCOLS in bridge/stdio-bridge.ts, which is only loaded when the command runs.
const PROTOCOLS = ['auto', '2026-07-28', 'legacy'] as const;
type Protocol = (typeof PROTOCOLS)[number];

export const connectSpec: CommandSpec = {
  name: 'connect',
  usage: 'mcp-gateway connect <url> [--header "Name: value"]... [--protocol auto|2026-07-28|legacy]',
  summary:
    "Serve MCP on stdio and forward it to a remote MCP endpoint (a gateway's /mcp, or any Streamable HTTP server), for clients that can only launch stdio servers. " +
    'Example: mcp-gateway connect http://127.0.0.1:4000/mcp --header "Authorization: Bearer ${GATEWAY_TOKEN}" ' +
    '(${VAR} in a header value is read from the environment). Exits 1 if the remote cannot be reached at start; ' +
    'later outages fail the requests they hit, and the next request reconnects.',
  options: {
    header: { type: 'string', short: 'H', placeholder: '"NAME: VALUE"', description: 'HTTP header to send on every request to the remote; repeat for more', defaultText: 'none' },
    protocol: { type: 'string', placeholder: 'P', description: 'auto (probe, fall back to 2025 sessions) | 2026-07-28 | legacy (2025 sessions only)', defaultText: 'auto' },
  },
};

/** RFC 9110 token characters. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export async function runConnect(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseConnectArgs(argv, io);
  if (typeof parsed === 'number') return parsed;

  const { startStdioBridge } = await import('../bridge/stdio-bridge.js');
  const log = (line: string) => void io.stderr.write(`${line}\n`);
  let bridge: Awaited<ReturnType<typeof startStdioBridge>>;
  try {
    bridge = await startStdioBridge({ url: parsed.url, headers: parsed.headers, protocol: parsed.protocol, log });
  } catch (error) {
    io.stderr.write(`✗ mcp-gateway connect: ${(error as Error).message}\n`);
    return EXIT_FAILURE;
  }
  const { era, protocolVersion, serverInfo } = bridge.remote;
  const name = serverInfo === undefined ? '' : ` (${serverInfo.name}${serverInfo.version ? ` ${serverInfo.version}` : ''})`;
  log(`mcp-gateway connect: forwarding stdio to ${parsed.url}${name}, MCP ${protocolVersion ?? 'version unknown'} (${era === 'modern' ? 'stateless' : '2025 session'})`);

  const onSignal = (signal: NodeJS.Signals) => {
    log(`mcp-gateway connect: ${signal}, closing`);
    void bridge.close();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await bridge.closed;
    return EXIT_OK;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

interface ConnectArgs {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly protocol: Protocol;
}

/** Like parseCommandLine, plus the positional <url> and a repeatable --header. */
function parseConnectArgs(argv: readonly string[], io: CliIo): ConnectArgs | number {
  const usage = (problem: string) => {
    io.stderr.write(`mcp-gateway connect: ${problem}\n\n${commandHelp(connectSpec)}`);
    return EXIT_USAGE;
  };
  let values: { header?: string[]; protocol?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      options: {
        header: { type: 'string', short: 'H', multiple: true },
        protocol: { type: 'string' },
        help: { type: 'boolean', short: HELP_OPTION.short },
      },
      strict: true,
      allowPositionals: true,
    }));
  } catch (error) {
    return usage((error as Error).message);
  }
  if (values.help === true) {
    io.stdout.write(commandHelp(connectSpec));
    return EXIT_OK;
  }
  if (positionals.length === 0) return usage('no <url> given');
  if (positionals.length > 1) return usage(`one <url> only, got ${positionals.length}: ${positionals.join(' ')}`);
  const url = positionals[0]!;
  let parsedUrl: URL;
  try {
    parsedUrl = new URL(url);
  } catch {
    return usage(`"${url}" is not a URL (expected e.g. http://127.0.0.1:4000/mcp)`);
  }
  if (parsedUrl.protocol !== 'http:' && parsedUrl.protocol !== 'https:') return usage(`"${url}" is not an http(s) URL`);

  const protocol = values.protocol ?? 'auto';
  if (!(PROTOCOLS as readonly string[]).includes(protocol)) return usage(`--protocol must be one of ${PROTOCOLS.join(', ')}, not "${protocol}"`);

  const headers: Record<string, string> = {};
  for (const header of values.header ?? []) {
    const colon = header.indexOf(':');
    const name = colon < 0 ? '' : header.slice(0, colon).trim();
    if (!HEADER_NAME.test(name)) return usage(`--header "${header}" is not of the form "Name: value"`);
    const substituted = substituteEnv(header.slice(colon + 1).trim(), io.env);
    if (substituted.issues.length > 0) {
      io.stderr.write(`✗ mcp-gateway connect: --header ${name}: ${substituted.issues.map((issue) => issue.message).join('; ')}\n`);
      return EXIT_FAILURE;
    }
    const value = substituted.value as string;
    if (/[\r\n\0]/.test(value)) return usage(`--header ${name}: the value may not contain line breaks`);
    // A repeated header is sent once, its values joined as HTTP allows.
    const key = name.toLowerCase();
    headers[key] = headers[key] === undefined ? value : `${headers[key]}, ${value}`;
  }
  return { url: parsedUrl.href, headers, protocol: protocol as Protocol };
}
