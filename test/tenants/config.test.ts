/** `tenants` in the config: normalised as documented, and every broken reference named by its field. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../../src/config/load.js';
import { configErrors } from '../config/helpers.js';

const SERVERS = `servers:
  - { id: own, command: node, tenant: acme }
  - { id: theirs, command: node, tenant: globex }
  - { id: public, command: node }
`;

test('tenants are normalised: share, limits with the default window, and their own bundles in virtualServers with their tenant', () => {
  const config = parseConfig(
    `${SERVERS}rateLimit: { enabled: false, windowSeconds: 30 }
tenants:
  acme:
    share: [public/search]
    rateLimit: { limit: 100 }
    quota: { callsPerDay: 5000 }
    virtualServers:
      - { name: acme-kit, servers: [own, public] }
  globex: {}
virtualServers:
  - { name: everyone, servers: [public] }
`,
    { env: {} },
  );
  assert.deepEqual(config.tenants.acme, { name: 'acme', share: ['public/search'], rateLimit: { limit: 100, windowSeconds: 30 }, quota: { callsPerDay: 5000 } });
  assert.deepEqual(config.tenants.globex, { name: 'globex', share: [] });
  assert.deepEqual(
    config.virtualServers.map((virtual) => [virtual.name, virtual.tenant]),
    [
      ['everyone', undefined],
      ['acme-kit', 'acme'],
    ],
  );
  assert.equal(config.servers[0]!.tenant, 'acme');
  assert.deepEqual(parseConfig('servers: []\n', { env: {} }).tenants, {});
});

test('a server, key or bundle naming an undeclared tenant is refused, naming the field and the declared tenants', () => {
  const lines = configErrors(`${SERVERS}auth:
  strategy: api-key
  apiKeys:
    - { key: k1, name: a, tenant: acme }
    - { key: k2, name: b, tenant: initech }
tenants:
  acme: {}
virtualServers:
  - { name: v, servers: [public], allow: { tenants: [umbrella] } }
`);
  assert.deepEqual(lines, [
    'servers[1].tenant: names no tenant (got "globex"; declared tenants: acme)',
    'auth.apiKeys[1].tenant: names no tenant (got "initech"; declared tenants: acme)',
    'virtualServers[0].allow.tenants[0]: names no tenant (got "umbrella"; declared tenants: acme)',
  ]);
  assert.deepEqual(configErrors('servers:\n  - { id: s, command: node, tenant: acme }\n'), ['servers[0].tenant: names no tenant (got "acme"; no tenants are declared (add them under "tenants"))']);
});

test('without tenants, a key\'s tenant stays a free label (identity claims, allow.tenants)', () => {
  const config = parseConfig('auth:\n  strategy: api-key\n  apiKeys: [{ key: k, name: a, tenant: anything }]\nservers: []\n', { env: {} });
  assert.equal(config.auth.apiKeys[0]!.tenant, 'anything');
});

test('a bundle may select only its own tenant\'s servers or untenanted ones; a share names untenanted servers', () => {
  const lines = configErrors(`${SERVERS}tenants:
  acme:
    share: [theirs/*, nowhere/x, public/*, "*/search"]
    virtualServers:
      - { name: grab, servers: [own, theirs], overrides: { "theirs/echo": { name: e } } }
  globex: {}
virtualServers:
  - { name: top, servers: [public, own] }
`);
  assert.deepEqual(lines, [
    'tenants.acme.share[0]: names a server of tenant "globex"; a share is over untenanted servers only',
    'tenants.acme.share[1]: names no configured server (got "nowhere/x")',
    'tenants.acme.virtualServers[0].servers[1]: belongs to tenant "globex"; this virtual server may only select its tenant\'s servers ("acme") or untenanted ones',
    'tenants.acme.virtualServers[0].overrides["theirs/echo"]: names a server of tenant "globex"; this virtual server may only select its tenant\'s servers ("acme") or untenanted ones',
    'virtualServers[0].servers[1]: belongs to tenant "acme"; this virtual server may only select the untenanted servers',
  ]);
});

test('shape errors name the field: unknown keys, a bad quota, a bad name, a duplicate bundle name across tenants', () => {
  const lines = configErrors(`servers: []
tenants:
  acme:
    shares: [x]
    quota: { callsPerDay: 0 }
  "bad name": {}
  globex:
    virtualServers: [{ name: kit }]
virtualServers: [{ name: kit }]
`);
  assert.deepEqual(lines, [
    'tenants.acme.shares: unknown key (did you mean "share"?)',
    'tenants.acme.quota.callsPerDay: must be at least 1 (got 0)',
    'tenants["bad name"]: a tenant name must be 1-64 letters, digits, "_", "." or "-", starting with a letter or digit',
    'tenants.globex.virtualServers[0].name: duplicate virtual server name "kit" (also virtualServers[0])',
  ]);
});
