/**
 * The README's client guides, used as written: every JSON snippet parses, the
 * Claude Desktop entry (`mcp-gateway connect` with the key in `env`) reaches a
 * gateway with API-key auth, and the curl headers are the ones it accepts.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/client/stdio';
import { demoServer } from '../fixtures/paths.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { CLI, ROOT } from './helpers.js';

const README = join(ROOT, 'README.md');

/** The fenced ```json blocks of a markdown section (from its heading to the next heading of the same level). */
async function jsonBlocks(heading: string): Promise<unknown[]> {
  const text = await readFile(README, 'utf8');
  const start = text.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `README has "${heading}"`);
  const level = /^#+/.exec(heading)![0];
  const rest = text.slice(start + heading.length + 2);
  const end = rest.search(new RegExp(`\\n#{1,${level.length}} `));
  const section = end < 0 ? rest : rest.slice(0, end);
  return [...section.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]!.replace(/^ {2}/gm, '')) as unknown);
}

interface DesktopConfig {
  mcpServers: Record<string, { command: string; args: string[]; env?: Record<string, string>; url?: string; headers?: Record<string, string> }>;
}

describe('README: Connect your client', () => {
  const key = 'readme-snippet-key-0123456789abcdef';
  let gw: RunningGateway;
  let blocks: unknown[];

  before(async () => {
    blocks = await jsonBlocks('### Connect your client');
    gw = await startGateway([{ id: 'demo', command: process.execPath, args: [demoServer] }], { config: { auth: { strategy: 'api-key', apiKeys: [{ key, name: 'readme' }] } } });
  });
  after(() => gw?.stop());

  test('every JSON snippet parses, and the VS Code and Cursor ones point at /mcp with a bearer header', () => {
    assert.ok(blocks.length >= 3, `JSON snippets found: ${blocks.length}`);
    const vscode = blocks.find((b): b is { servers: Record<string, { url: string; headers: Record<string, string> }> } => typeof b === 'object' && b !== null && 'servers' in b);
    assert.ok(vscode);
    assert.match(vscode.servers.gateway!.url, /\/mcp$/);
    assert.match(vscode.servers.gateway!.headers.Authorization!, /^Bearer \$\{input:/);
    const cursor = blocks.find((b): b is DesktopConfig => typeof b === 'object' && b !== null && 'mcpServers' in b && (b as DesktopConfig).mcpServers.gateway?.url !== undefined);
    assert.ok(cursor);
    assert.match(cursor.mcpServers.gateway!.headers!.Authorization!, /^Bearer \$\{env:/);
  });

  test('the Claude Desktop entry, as written, reaches a gateway with API-key auth through mcp-gateway connect', async () => {
    const desktop = blocks.find((b): b is DesktopConfig => typeof b === 'object' && b !== null && 'mcpServers' in b && (b as DesktopConfig).mcpServers.gateway?.command !== undefined);
    assert.ok(desktop, 'a claude_desktop_config.json snippet');
    const entry = desktop.mcpServers.gateway!;
    assert.equal(entry.command, 'mcp-gateway');
    assert.equal(entry.args[0], 'connect');
    // What Claude Desktop would run, with the gateway's real URL and key; the installed bin is dist/src/cli/main.js.
    const args = entry.args.map((arg) => arg.replace('http://127.0.0.1:4000/mcp', `${gw.url}/mcp`));
    const env = Object.fromEntries(Object.entries(entry.env ?? {}).map(([name]) => [name, key]));
    const client = new Client({ name: 'readme-desktop', version: '1.0.0' });
    const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, ...args], env: { ...getDefaultEnvironment(), ...env }, stderr: 'pipe' });
    try {
      await client.connect(transport);
      const result = await client.callTool({ name: 'echo', arguments: { message: 'from Claude Desktop' } });
      assert.deepEqual(result.content, [{ type: 'text', text: 'from Claude Desktop' }]);
    } finally {
      await client.close();
    }
    const requests = await gw.get('/api/v1/requests', { 'x-api-key': key });
    assert.ok((requests.body as { requests: { caller?: string }[] }).requests.some((r) => r.caller === 'readme'), 'the call was made as the key named in env');
  });

  test('the curl headers: X-API-Key and Authorization: Bearer carry a key; without one it is 401 with a challenge', async () => {
    const text = await readFile(README, 'utf8');
    for (const header of ['-H "X-API-Key: $GATEWAY_API_KEY"', '-H "Authorization: Bearer $GATEWAY_API_KEY"', '-H "Authorization: Bearer $JWT"']) assert.ok(text.includes(header), header);
    assert.equal((await gw.get('/api/v1/tools', { 'X-API-Key': key })).status, 200);
    assert.equal((await gw.get('/api/v1/tools', { Authorization: `Bearer ${key}` })).status, 200);
    const refused = await gw.get('/api/v1/tools');
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get('www-authenticate') ?? '', /^Bearer/);
    assert.equal((await gw.get('/api/v1/health')).status, 200, 'health is public');
  });
});
