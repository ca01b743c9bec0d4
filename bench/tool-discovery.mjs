// What a client receives to find its tools: a full tools/list vs toolDiscovery: search
// (tools/list with the two meta-tools, then three searches), on a ~100-tool catalog.
// Characters of the JSON-RPC responses stand in for tokens. Loopback only, bounded.
//
//   npm run build && node bench/tool-discovery.mjs
import { Gateway } from '../dist/src/gateway.js';
import { normalizeConfig } from '../dist/src/config/load.js';
import { demoServerPath } from '../dist/src/config/default-config.js';
import { fileURLToPath } from 'node:url';

const fixture = fileURLToPath(new URL('../dist/test/fixtures/modern-stdio.js', import.meta.url));
// 7 tools per fixture (plus its deploy tool), 4 per demo: 12 fixtures + 2 demos ≈ 100 tools, all names clashing → namespaced.
const servers = [
  ...Array.from({ length: 12 }, (_, i) => ({ id: `svc${i}`, command: process.execPath, args: [fixture], env: { FIXTURE_NAME: `svc${i}` } })),
  ...Array.from({ length: 2 }, (_, i) => ({ id: `demo${i}`, command: process.execPath, args: [demoServerPath()] })),
];
const searches = ['add two numbers', 'echo a message back', 'sleep with progress'];

async function run(toolDiscovery) {
  const config = normalizeConfig({ port: 0, logLevel: 'silent', mcp: { toolDiscovery }, servers }, { env: {} });
  const gateway = new Gateway(config, { logLevel: 'silent' });
  await gateway.start();
  const post = async (id, method, params) => {
    const body = JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...params, _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} } } });
    const headers = { 'content-type': 'application/json', 'mcp-protocol-version': '2026-07-28', 'mcp-method': method, ...(method === 'tools/call' ? { 'mcp-name': params.name } : {}) };
    return (await fetch(`${gateway.url}/mcp`, { method: 'POST', headers, body })).text();
  };
  try {
    const list = await post(1, 'tools/list', {});
    const tools = JSON.parse(list).result.tools.length;
    const rows = [{ step: 'tools/list', chars: list.length, tools }];
    if (toolDiscovery === 'search') {
      for (const [i, query] of searches.entries()) {
        const answer = await post(2 + i, 'tools/call', { name: 'search_tools', arguments: { query, limit: 3 } });
        rows.push({ step: `search_tools "${query}"`, chars: answer.length, tools: JSON.parse(answer).result.structuredContent.tools.length });
      }
    }
    return { catalog: gateway.supervisor.catalog().tools.length, rows, total: rows.reduce((sum, row) => sum + row.chars, 0) };
  } finally {
    await gateway.stop();
  }
}

const full = await run('full');
const search = await run('search');
console.log(`catalog: ${full.catalog} tools across ${servers.length} servers\n`);
console.log('| mode | step | characters | tools returned |\n|---|---|---|---|');
for (const [mode, result] of [['full', full], ['search', search]]) for (const row of result.rows) console.log(`| ${mode} | ${row.step} | ${row.chars} | ${row.tools} |`);
console.log(`\nfull listing: ${full.total} characters; search session (list + 3 searches): ${search.total} characters = ${(search.total / full.total).toFixed(2)}× the full listing`);
