import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewayError, type ErrorCode } from '../../src/errors.js';
import { QualifiedNames, separatorConflict } from '../../src/qualified-names.js';
import { RoutingTable } from '../../src/supervisor/routing-table.js';

function table(servers: Record<string, string[]>): RoutingTable {
  return new RoutingTable(new Map(Object.entries(servers).map(([id, tools]) => [id, new Set(tools)])));
}

/** Asserts `fn` throws a GatewayError with `code`, and returns it for further checks. */
function rejects(fn: () => unknown, code: ErrorCode): GatewayError {
  try {
    fn();
  } catch (error) {
    assert.ok(GatewayError.is(error), `expected a GatewayError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected ${code}, but nothing was thrown`);
}

const routes = table({ docs: ['search', 'read'], web: ['search', 'fetch'], files: ['list'] });

test('a name offered by one server routes to it by itself', () => {
  assert.deepEqual(routes.resolve('read'), { serverId: 'docs', tool: 'read' });
  assert.deepEqual(routes.resolve('fetch'), { serverId: 'web', tool: 'fetch' });
  assert.deepEqual(routes.resolve('list'), { serverId: 'files', tool: 'list' });
});

test('a shared name is ambiguous, and the error lists the servers and the qualified names', () => {
  const error = rejects(() => routes.resolve('search'), 'MCPGW_ERR_AMBIGUOUS_TOOL');
  assert.deepEqual(error.data, { servers: ['docs', 'web'], qualifiedNames: ['docs__search', 'web__search'] });
  assert.equal(error.status, 409);
  assert.match(error.message, /"search"/);
  assert.deepEqual(routes.serversFor('search'), ['docs', 'web']);
});

test('a server given picks one of the servers sharing a name', () => {
  assert.deepEqual(routes.resolve('search', 'docs'), { serverId: 'docs', tool: 'search' });
  assert.deepEqual(routes.resolve('search', 'web'), { serverId: 'web', tool: 'search' });
});

test('a qualified <server>__<tool> name routes with or without server', () => {
  assert.deepEqual(routes.resolve('web__search'), { serverId: 'web', tool: 'search' });
  assert.deepEqual(routes.resolve('docs__search'), { serverId: 'docs', tool: 'search' });
  assert.deepEqual(routes.resolve('files__list'), { serverId: 'files', tool: 'list' }, 'unique tools have a qualified name too');
  assert.deepEqual(routes.resolve('web__search', 'web'), { serverId: 'web', tool: 'search' });
});

test('a qualified name for one server with another server given is refused', () => {
  rejects(() => routes.resolve('web__search', 'docs'), 'MCPGW_ERR_UNKNOWN_TOOL');
});

test('a tool whose own name contains "__" routes by its plain and its qualified name', () => {
  const odd = table({ gh: ['repo__list', 'issue'], other: ['issue'] });
  assert.deepEqual(odd.resolve('repo__list'), { serverId: 'gh', tool: 'repo__list' });
  assert.deepEqual(odd.resolve('gh__repo__list'), { serverId: 'gh', tool: 'repo__list' });
  assert.deepEqual(odd.resolve('gh__repo__list', 'gh'), { serverId: 'gh', tool: 'repo__list' });
  assert.deepEqual(odd.resolve('repo__list', 'gh'), { serverId: 'gh', tool: 'repo__list' });
  // "repo" is no server: the first "__" does not make it one.
  rejects(() => odd.resolve('repo__list', 'other'), 'MCPGW_ERR_UNKNOWN_TOOL');
});

test('unknown tools, unknown servers, and servers without the tool', () => {
  rejects(() => routes.resolve('nope'), 'MCPGW_ERR_UNKNOWN_TOOL');
  rejects(() => routes.resolve('docs__nope'), 'MCPGW_ERR_UNKNOWN_TOOL');
  rejects(() => routes.resolve('ghost__search'), 'MCPGW_ERR_UNKNOWN_TOOL');
  rejects(() => routes.resolve('__search'), 'MCPGW_ERR_UNKNOWN_TOOL');
  rejects(() => routes.resolve('fetch', 'docs'), 'MCPGW_ERR_UNKNOWN_TOOL');
  const unknownServer = rejects(() => routes.resolve('search', 'ghost'), 'MCPGW_ERR_UNKNOWN_SERVER');
  assert.match(unknownServer.message, /"ghost"/);
  assert.equal(unknownServer.status, 404);
  assert.deepEqual(routes.serversFor('nope'), []);
});

test('an empty table routes nothing', () => {
  const empty = table({});
  rejects(() => empty.resolve('search'), 'MCPGW_ERR_UNKNOWN_TOOL');
  rejects(() => empty.resolve('search', 'docs'), 'MCPGW_ERR_UNKNOWN_SERVER');
});

test('qualify joins with the separator, split undoes it at the first one', () => {
  const names = new QualifiedNames();
  assert.equal(names.qualify('docs', 'search'), 'docs__search');
  assert.deepEqual(names.split('docs__repo__list'), { serverId: 'docs', name: 'repo__list' });
  assert.equal(names.split('__search'), undefined);
  assert.equal(names.split('plain'), undefined);
  assert.equal(new QualifiedNames('.').qualify('docs', 'search'), 'docs.search');
});

test('a configured separator is the one every qualified name is made and read with', () => {
  const dotted = new RoutingTable(new Map([['docs', new Set(['search', 'a__b'])], ['web', new Set(['search'])]]), new QualifiedNames('/'));
  assert.deepEqual(dotted.resolve('web/search'), { serverId: 'web', tool: 'search' });
  assert.deepEqual(dotted.resolve('docs/a__b'), { serverId: 'docs', tool: 'a__b' });
  assert.deepEqual(dotted.resolve('docs/search', 'docs'), { serverId: 'docs', tool: 'search' });
  // The old separator means nothing any more: "docs__search" is just an unknown name.
  rejects(() => dotted.resolve('docs__search'), 'MCPGW_ERR_UNKNOWN_TOOL');
  const ambiguous = rejects(() => dotted.resolve('search'), 'MCPGW_ERR_AMBIGUOUS_TOOL');
  assert.deepEqual(ambiguous.data, { servers: ['docs', 'web'], qualifiedNames: ['docs/search', 'web/search'] });
  assert.match(ambiguous.message, /<serverId>\/search/);
});

test('an id conflicts with a separator it contains, or one its end runs into', () => {
  assert.equal(separatorConflict('docs', '__'), undefined);
  assert.equal(separatorConflict('a-b', '.'), undefined);
  assert.match(separatorConflict('a__b', '__') ?? '', /must not contain "__"/);
  assert.match(separatorConflict('a-b', '-') ?? '', /must not contain "-"/);
  // "xa" + "aa" + tool: the first "aa" starts inside the id, so the split would be wrong.
  assert.match(separatorConflict('xa', 'aa') ?? '', /runs into "aa"/);
  assert.match(separatorConflict('docs_', '__') ?? '', /runs into "__"/);
  assert.equal(separatorConflict('docs_', '.'), undefined);
});

test('a qualified name always means the tool it names, even when another server has a tool spelled like it', () => {
  const table = new RoutingTable(new Map([['a', new Set(['b__t'])], ['b', new Set(['t'])]]));
  // The listing advertises b's "t" as "b__t": calling that name must reach b.
  assert.deepEqual(table.resolve('b__t'), { serverId: 'b', tool: 't' });
  // a's odd tool is still reachable by its own qualified name.
  assert.deepEqual(table.resolve('a__b__t'), { serverId: 'a', tool: 'b__t' });
});
