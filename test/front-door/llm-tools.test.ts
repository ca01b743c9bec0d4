/**
 * GET /api/v1/tools?format=openai|anthropic: definitions checked against the
 * two APIs' published shapes (OpenAI: {type:"function", function:{name,
 * description, parameters}}; Anthropic: {name, description, input_schema};
 * both: name ^[a-zA-Z0-9_-]{1,64}$, an object JSON Schema), names made valid
 * deterministically and without collisions, and every mapped name callable
 * through POST /api/v1/tools/call.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Ajv } from 'ajv';
import { LLM_TOOL_NAME, LlmToolNames, parametersSchema } from '../../src/front-door/llm-tools.js';
import { demoServer, fixtures } from '../fixtures/paths.js';
import { startGateway, type EngineName, type RunningGateway } from '../helpers/gateway.js';

const NAME = { type: 'string', pattern: '^[a-zA-Z0-9_-]{1,64}$' };
const OBJECT_SCHEMA = { type: 'object', required: ['type'], properties: { type: { const: 'object' }, properties: { type: 'object' } } };
const OPENAI_TOOL = {
  type: 'object',
  required: ['type', 'function'],
  additionalProperties: false,
  properties: {
    type: { const: 'function' },
    function: { type: 'object', required: ['name', 'parameters'], additionalProperties: false, properties: { name: NAME, description: { type: 'string' }, parameters: OBJECT_SCHEMA, strict: { type: 'boolean' } } },
  },
};
const ANTHROPIC_TOOL = { type: 'object', required: ['name', 'input_schema'], additionalProperties: false, properties: { name: NAME, description: { type: 'string' }, input_schema: OBJECT_SCHEMA } };

const ajv = new Ajv({ allErrors: true, strict: false });
const validOpenAi = ajv.compile(OPENAI_TOOL);
const validAnthropic = ajv.compile(ANTHROPIC_TOOL);

describe('LLM tool names', () => {
  test('valid qualified names stay; others are cleaned, and hashed when cut or colliding', () => {
    const long = `server${'x'.repeat(70)}__tool`;
    const names = new LlmToolNames(['demo__add', 'a_b', 'a.b', 'x.y', 'x/y', 'ok.name', long]);
    assert.equal(names.llmName('demo__add'), 'demo__add');
    assert.equal(names.llmName('a_b'), 'a_b', 'the already valid name keeps its form');
    assert.match(names.llmName('a.b')!, /^a_b_[0-9a-f]{8}$/);
    assert.equal(names.llmName('ok.name'), 'ok_name', 'cleaned without a collision: no suffix');
    const xy = [names.llmName('x.y')!, names.llmName('x/y')!];
    assert.ok(xy.every((name) => /^x_y_[0-9a-f]{8}$/.test(name)));
    assert.notEqual(xy[0], xy[1]);
    const cut = names.llmName(long)!;
    assert.equal(cut.length, 64);
    assert.match(cut, /^serverx+_[0-9a-f]{8}$/);
    for (const qualified of ['demo__add', 'a_b', 'a.b', 'x.y', 'x/y', 'ok.name', long]) {
      const llm = names.llmName(qualified)!;
      assert.match(llm, LLM_TOOL_NAME);
      assert.equal(names.qualified(llm), qualified, 'the mapping goes back');
    }
  });

  test('names do not depend on the order tools are listed in', () => {
    const list = ['a.b', 'a_b', 'x.y', 'x/y', `${'y'.repeat(80)}`];
    const one = new LlmToolNames(list);
    const other = new LlmToolNames([...list].reverse());
    for (const name of list) assert.equal(one.llmName(name), other.llmName(name));
  });

  test('parameters: always an object schema, $schema dropped, the rest kept', () => {
    assert.deepEqual(parametersSchema(undefined), { type: 'object', properties: {} });
    assert.deepEqual(parametersSchema({ $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', properties: { a: { type: 'number' } }, required: ['a'] }), {
      type: 'object',
      properties: { a: { type: 'number' } },
      required: ['a'],
    });
    assert.deepEqual(parametersSchema({ type: 'object' }), { type: 'object', properties: {} });
  });
});

const LONG_ID = `s${'0123456789'.repeat(6)}z`; // 62 characters: with "." and a tool name, over 64

for (const engine of ['uws', 'node'] as EngineName[]) {
  describe(`GET /api/v1/tools?format= on the ${engine} engine`, () => {
    let gw: RunningGateway;
    before(async () => {
      gw = await startGateway(
        [
          { id: 'demo', command: process.execPath, args: [demoServer] },
          { id: LONG_ID, command: process.execPath, args: [fixtures.modernStdio], env: { FIXTURE_NAME: 'long' } },
        ],
        // "." is a valid MCP separator but not valid in an LLM tool name: every name must be cleaned.
        { engine, config: { mcp: { separator: '.' } } },
      );
    });
    after(() => gw.stop());

    test('format=openai: function tools with valid names, a mapping back, and each callable by its mapped name', async () => {
      const { status, body, text } = await gw.get('/api/v1/tools?format=openai');
      assert.equal(status, 200, text);
      assert.equal(body.format, 'openai');
      const mcp = (await gw.get('/api/v1/tools')).body.tools;
      assert.equal(body.tools.length, mcp.length);
      for (const tool of body.tools) assert.ok(validOpenAi(tool), `${JSON.stringify(tool).slice(0, 200)}: ${ajv.errorsText(validOpenAi.errors)}`);
      const names: string[] = body.tools.map((tool: any) => tool.function.name);
      assert.equal(new Set(names).size, names.length, 'no two tools share a name');
      assert.deepEqual(Object.keys(body.names).sort(), [...names].sort());
      assert.equal(body.names.demo_add, 'demo.add');
      const add = body.tools.find((tool: any) => tool.function.name === 'demo_add');
      assert.deepEqual(add.function.parameters.required?.sort(), ['a', 'b']);
      const long = names.find((name) => body.names[name] === `${LONG_ID}.whoami`)!;
      assert.equal(long.length, 64);
      // The model's call comes back with the mapped name: it routes to the tool it stands for.
      const sum = await gw.call('demo_add', { a: 2, b: 40 });
      assert.equal(sum.status, 200, sum.text);
      assert.match(JSON.stringify(sum.body.content), /42/);
      const who = await gw.call(long);
      assert.equal(who.status, 200, who.text);
      assert.match(JSON.stringify(who.body), /long/);
      const entry = (await gw.get('/api/v1/requests?limit=1')).body.requests[0];
      assert.deepEqual({ server: entry.server, tool: entry.tool }, { server: LONG_ID, tool: 'whoami' }, 'logged under the real server and tool');
    });

    test('format=anthropic: tool definitions with input_schema', async () => {
      const { status, body } = await gw.get(`/api/v1/tools?format=anthropic&server=${LONG_ID}`);
      assert.equal(status, 200);
      assert.ok(body.tools.length > 0);
      for (const tool of body.tools) assert.ok(validAnthropic(tool), ajv.errorsText(validAnthropic.errors));
      assert.ok(Object.values(body.names).every((qualified) => String(qualified).startsWith(`${LONG_ID}.`)));
      const openai = (await gw.get(`/api/v1/tools?format=openai&server=${LONG_ID}`)).body;
      assert.deepEqual(body.names, openai.names, 'both formats name tools alike');
    });

    test('an unknown format is a 400 that says which exist; an unknown mapped name is a 404', async () => {
      const bad = await gw.get('/api/v1/tools?format=gemini');
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'MCPGW_ERR_BAD_REQUEST');
      assert.match(bad.body.error.message, /openai.*anthropic/);
      const unknown = await gw.call('demo_nothing_here');
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.error.code, 'MCPGW_ERR_UNKNOWN_TOOL');
    });
  });
}
