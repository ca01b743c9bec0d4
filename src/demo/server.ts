/**
 * The demo MCP server that ships with mcp-gateway and backs its embedded default
 * config. Run it as `node dist/src/demo/server.js`; it speaks MCP over stdio.
 *
 * It serves both protocol eras from one factory: a 2026-07-28 client (which opens
 * with `server/discover` and sends `_meta` on every request) and a 2025 client
 * (which opens with `initialize`). `serveStdio` picks the era from the first message.
 *
 * Tools:
 *   echo  {message}        returns `message` verbatim. Kept trivial on purpose:
 *                          the gateway's benchmark measures overhead with it.
 *   add   {a, b}           the sum as text and as `structuredContent {sum}`.
 *   sleep {ms, steps?}     waits `ms`, sending `steps` (default 5) progress
 *                          notifications when the caller asked for progress; stops
 *                          as soon as the call is cancelled.
 *   fail  {message?}       a tool error result (`isError: true`).
 * Resource: `demo://readme` (markdown). Prompt: `greet {name}`.
 *
 * Environment:
 *   DEMO_SERVER_NAME  serverInfo name (default "demo"), so several copies behind
 *                     one gateway can be told apart.
 *
 * Logs go to stderr only: stdout carries the protocol.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { McpServer } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import * as z from 'zod/v4';

const README = `# mcp-gateway demo server

A small MCP server to try the gateway with. Tools: \`echo\`, \`add\`, \`sleep\` (progress and
cancellation), \`fail\` (a tool error). Prompt: \`greet\`.
`;

function createDemoServer(name: string): McpServer {
  const server = new McpServer(
    { name, version: '1.0.0' },
    { instructions: 'A demo server: echo text, add numbers, sleep with progress, or fail on purpose.' },
  );

  server.registerTool(
    'echo',
    {
      description: 'Returns the message unchanged.',
      inputSchema: z.object({ message: z.string() }),
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    async ({ message }) => ({ content: [{ type: 'text', text: message }] }),
  );

  server.registerTool(
    'add',
    {
      description: 'Adds two numbers.',
      inputSchema: z.object({ a: z.number(), b: z.number() }),
      outputSchema: z.object({ sum: z.number() }),
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    async ({ a, b }) => {
      const sum = a + b;
      return { content: [{ type: 'text', text: String(sum) }], structuredContent: { sum } };
    },
  );

  server.registerTool(
    'sleep',
    {
      description: 'Waits `ms` milliseconds, reporting progress in `steps` steps; can be cancelled.',
      inputSchema: z.object({
        ms: z.number().int().min(0).max(300_000),
        steps: z.number().int().min(1).max(1000).optional(),
      }),
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    async ({ ms, steps = 5 }, ctx) => {
      const progressToken = ctx.mcpReq._meta?.progressToken;
      const { signal } = ctx.mcpReq;
      for (let step = 1; step <= steps; step++) {
        try {
          await delay(ms / steps, undefined, { signal });
        } catch (error) {
          // Said on stderr so an operator (and the tests) can see the work really stopped.
          process.stderr.write(`${name}: sleep cancelled after ${step - 1}/${steps} steps\n`);
          throw error;
        }
        if (progressToken !== undefined) {
          await ctx.mcpReq.notify({
            method: 'notifications/progress',
            params: { progressToken, progress: step, total: steps, message: `step ${step} of ${steps}` },
          });
        }
      }
      return { content: [{ type: 'text', text: `slept ${ms} ms` }] };
    },
  );

  server.registerTool(
    'fail',
    {
      description: 'Always returns a tool error, to see how clients show one.',
      inputSchema: z.object({ message: z.string().optional() }),
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    async ({ message }) => ({
      isError: true,
      content: [{ type: 'text', text: message ?? 'This tool always fails.' }],
    }),
  );

  server.registerResource(
    'readme',
    'demo://readme',
    { title: 'About this server', mimeType: 'text/markdown' },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/markdown', text: README }] }),
  );

  server.registerPrompt(
    'greet',
    { description: 'Asks the model to greet someone.', argsSchema: z.object({ name: z.string() }) },
    ({ name: who }) => ({
      messages: [{ role: 'user', content: { type: 'text', text: `Please greet ${who} warmly, in one sentence.` } }],
    }),
  );

  return server;
}

const name = process.env.DEMO_SERVER_NAME || 'demo';
serveStdio(() => createDemoServer(name), {
  onerror: (error) => process.stderr.write(`${name}: ${error.message}\n`),
});
