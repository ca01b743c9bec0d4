/**
 * The cache of serialised lists (src/protocol/list-cache.ts): the bounds and
 * generations of the cache itself, then a real gateway over real upstreams —
 * a cached answer is byte for byte the one built afresh (REST, `/mcp` in both
 * eras, a virtual server), different access views never share an entry, and
 * an upstream whose tool list changes, or a reload with new access rules, is
 * seen on the very next list.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { normalizeConfig } from '../../src/config/load.js';
import { ListCache } from '../../src/protocol/list-cache.js';
import { demoServer, fixtures } from '../fixtures/paths.js';
import { eventually, startGateway, type RunningGateway } from '../helpers/gateway.js';
import { legacyClient, MODERN } from '../policy/helpers.js';

describe('ListCache', () => {
  const gen = [{}, {}];

  test('a hit is the stored answer; another generation empties the cache first', () => {
    const cache = new ListCache();
    let builds = 0;
    const build = () => `answer ${++builds}`;
    assert.equal(cache.get(gen, 'k', build), 'answer 1');
    assert.equal(cache.get(gen, 'k', build), 'answer 1');
    assert.equal(cache.get([gen[0]!, gen[1]!], 'k', build), 'answer 1', 'the same objects are the same generation');
    assert.equal(cache.get([gen[0]!, {}], 'k', build), 'answer 2', 'a new object is a new generation');
    assert.equal(cache.get(gen, 'k', build), 'answer 3', 'and going back is not a hit either: the old entries are gone');
    assert.deepEqual(cache.stats(), { entries: 1, bytes: 'answer 3'.length * 2, hits: 2, misses: 3 });
  });

  test('bounded by entries and by bytes, least recently used out first; an answer above the budget is served, not kept', () => {
    const cache = new ListCache({ maxEntries: 2, maxBytes: 40 });
    cache.get(gen, 'a', () => 'aaaa');
    cache.get(gen, 'b', () => 'bbbb');
    cache.get(gen, 'a', () => 'rebuilt');
    cache.get(gen, 'c', () => 'cccc');
    assert.equal(cache.get(gen, 'a', () => 'rebuilt'), 'aaaa', 'a was used last: it stays');
    assert.equal(cache.get(gen, 'b', () => 'new b'), 'new b', 'b was the least recently used: evicted');
    // 16 bytes each (2 per character): a third would pass 40 bytes, so the oldest goes.
    const bytes = new ListCache({ maxEntries: 10, maxBytes: 40 });
    bytes.get(gen, 'x', () => 'xxxxxxxx');
    bytes.get(gen, 'y', () => 'yyyyyyyy');
    bytes.get(gen, 'z', () => 'zzzzzzzz');
    assert.deepEqual({ entries: bytes.stats().entries, bytes: bytes.stats().bytes }, { entries: 2, bytes: 32 });
    assert.equal(bytes.get(gen, 'x', () => 'gone'), 'gone');
    const huge = Buffer.alloc(41);
    assert.equal(bytes.get(gen, 'huge', () => huge), huge);
    assert.equal(bytes.get(gen, 'huge', () => Buffer.from('again')).toString(), 'again', 'never kept');
  });
});

const keys = [
  { key: 'reader-key', name: 'reader', roles: ['reader'] },
  { key: 'admin-key', name: 'admin', roles: ['admin'] },
];
const READER = { authorization: 'Bearer reader-key' };
const ADMIN = { authorization: 'Bearer admin-key' };
const access = [
  { role: 'reader', allow: ['demo/*'], deny: ['*/fail'] },
  { role: 'admin', allow: ['*/*'] },
];

/** A raw 2026-07-28 list request to an MCP endpoint path; the answer's text as it came. */
async function modernList(url: string, path: string, method: string, headers: Record<string, string>, cursor?: string): Promise<string> {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', 'mcp-protocol-version': MODERN, 'mcp-method': method, ...headers },
    body: JSON.stringify({ jsonrpc: '2.0', id: 7, method, params: { ...(cursor ? { cursor } : {}), _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {} } } }),
  });
  assert.equal(response.status, 200);
  return response.text();
}

const toolNames = (text: string): string[] => {
  const body = JSON.parse(text) as { tools?: { name: string }[]; result?: { tools: { name: string }[] } };
  return (body.result?.tools ?? body.tools ?? []).map((tool) => tool.name).sort();
};

describe('list cache in a running gateway', () => {
  let gw: RunningGateway;
  const config = {
    auth: { strategy: 'api-key', apiKeys: keys },
    access,
    virtualServers: [{ name: 'kit', servers: ['demo'] }],
  };
  const servers = [
    { id: 'demo', command: process.execPath, args: [demoServer] },
    { id: 'alpha', command: process.execPath, args: [fixtures.modernStdio], env: { FIXTURE_NAME: 'alpha' } },
  ];
  before(async () => {
    gw = await startGateway(servers, { config });
  });
  after(() => gw.stop());

  test('a cached answer is byte for byte the one built afresh: REST (every format and filter), /mcp in both eras, a virtual server', async () => {
    const restPaths = ['/api/v1/tools', '/api/v1/tools?format=openai', '/api/v1/tools?format=anthropic', '/api/v1/tools?server=demo', '/api/v1/tools?virtual=kit', '/api/v1/prompts', '/api/v1/resources'];
    const fetchAll = async () => {
      const rest = await Promise.all(restPaths.map(async (path) => (await gw.get(path, ADMIN)).text));
      const modern = [await modernList(gw.url, '/mcp', 'tools/list', ADMIN), await modernList(gw.url, '/mcp', 'prompts/list', ADMIN), await modernList(gw.url, '/mcp/kit', 'tools/list', ADMIN)];
      const { client } = await legacyClient(gw.url, ADMIN);
      try {
        return { rest, modern, legacy: [await client.listTools(), await client.listPrompts()] };
      } finally {
        await client.close();
      }
    };
    gw.gateway.listCache.clear();
    const fresh = await fetchAll();
    const built = gw.gateway.listCache.stats();
    // Each era's pages are cached with its own fields in them (encoded once): a 2025 session's are entries of their own.
    assert.equal(built.entries, restPaths.length + 5, `every distinct answer was kept once: ${JSON.stringify(built)}`);
    assert.equal(built.hits, 0, 'nothing was served that another request built: eras do not share pages');
    const cached = await fetchAll();
    const served = gw.gateway.listCache.stats();
    assert.equal(served.misses, built.misses, 'the second round was served from the cache entirely');
    assert.ok(served.hits >= built.hits + restPaths.length + 5);
    assert.deepEqual(cached, fresh);
    gw.gateway.listCache.clear();
    assert.deepEqual(await fetchAll(), fresh, 'rebuilt after a clear: the same again');
    // Sanity that the answers are real lists, different per path.
    assert.ok(toolNames(fresh.rest[0]!).includes('whoami'));
    assert.deepEqual(JSON.parse(fresh.rest[4]!).tools.map((t: { server: string }) => t.server).filter((s: string) => s !== 'demo'), []);
    assert.ok(toolNames(fresh.modern[2]!).length < toolNames(fresh.modern[0]!).length, 'the bundle lists fewer tools than /mcp');
  });

  test('different access views never share an entry', async () => {
    gw.gateway.listCache.clear();
    // The admin's answers are cached first; the reader must still get the reader's.
    const adminRest = (await gw.get('/api/v1/tools', ADMIN)).text;
    const adminModern = await modernList(gw.url, '/mcp', 'tools/list', ADMIN);
    const readerRest = (await gw.get('/api/v1/tools', READER)).text;
    const readerModern = await modernList(gw.url, '/mcp', 'tools/list', READER);
    assert.ok(toolNames(adminRest).includes('whoami') && toolNames(adminRest).includes('fail'));
    assert.deepEqual(toolNames(readerRest), ['add', 'echo', 'sleep'], 'the reader sees demo/* but fail');
    assert.ok(!toolNames(readerRest).includes('fail') && !toolNames(readerRest).includes('whoami'), 'nothing of the admin view leaks into the reader view');
    assert.ok(!toolNames(readerModern).includes('fail') && !toolNames(readerModern).includes('whoami'));
    assert.ok(toolNames(readerModern).length === 3 && toolNames(adminModern).length > 3);
    assert.equal(gw.gateway.listCache.stats().entries, 4, 'two views × two endpoints: four entries');
    // And again, now from the cache: still each caller's own.
    assert.equal((await gw.get('/api/v1/tools', READER)).text, readerRest);
    assert.equal((await gw.get('/api/v1/tools', ADMIN)).text, adminRest);
    assert.equal(await modernList(gw.url, '/mcp', 'tools/list', READER), readerModern);
  });

  test('an upstream whose tool list changes is seen on the next list, REST and /mcp', async () => {
    const before = toolNames((await gw.get('/api/v1/tools', ADMIN)).text);
    await modernList(gw.url, '/mcp', 'tools/list', ADMIN);
    const hits = gw.gateway.listCache.stats().hits;
    assert.equal(toolNames((await gw.get('/api/v1/tools', ADMIN)).text).join(), before.join());
    assert.equal(gw.gateway.listCache.stats().hits, hits + 1, 'served from the cache before the change');
    const added = await gw.post('/api/v1/tools/call', { tool: 'add_tool', server: 'alpha', arguments: {} }, ADMIN);
    assert.equal(added.status, 200);
    const name = added.body.content[0].text as string;
    assert.ok(!before.includes(name));
    // The fixture announces the change; the gateway re-lists alpha and builds a new merged catalog.
    const rest = await eventually(async () => toolNames((await gw.get('/api/v1/tools', ADMIN)).text), (names) => names.includes(name), 10_000);
    assert.ok(rest.includes(name), `REST lists ${name}`);
    assert.ok(toolNames(await modernList(gw.url, '/mcp', 'tools/list', ADMIN)).includes(name), `/mcp lists ${name}`);
    const { client } = await legacyClient(gw.url, ADMIN);
    try {
      assert.ok((await client.listTools()).tools.some((tool) => tool.name === name), `a 2025 session lists ${name}`);
    } finally {
      await client.close();
    }
  });

  test('a reload with new access rules is seen on the next list', async () => {
    const readerBefore = toolNames((await gw.get('/api/v1/tools', READER)).text);
    assert.ok(!readerBefore.includes('whoami'));
    assert.ok(!toolNames(await modernList(gw.url, '/mcp', 'tools/list', READER)).includes('whoami'));
    const running = gw.gateway.config;
    const widened = normalizeConfig({ port: 0, host: '127.0.0.1', logLevel: 'silent', ...config, access: [{ role: 'reader', allow: ['demo/*', 'alpha/whoami'], deny: ['*/fail'] }, access[1]!], servers: running.servers }, { env: {} });
    await gw.gateway.reload(widened);
    try {
      assert.ok(toolNames((await gw.get('/api/v1/tools', READER)).text).includes('whoami'), 'REST: the reader now sees alpha/whoami');
      assert.ok(toolNames(await modernList(gw.url, '/mcp', 'tools/list', READER)).includes('whoami'), '/mcp: the reader now sees alpha/whoami');
    } finally {
      await gw.gateway.reload(running);
    }
    assert.deepEqual(toolNames((await gw.get('/api/v1/tools', READER)).text), readerBefore, 'and reloading back takes it away again');
  });
});
