#!/usr/bin/env node
/**
 * What splitting an upstream's stdout into lines costs the worker, per line:
 * LineDecoder.push over 64 KiB chunks of 300-byte JSON-RPC answers (the shape
 * of scenario 2's echo results), lines cut across chunk edges included.
 *
 *   npm run build && node bench/micro/line-decoder.mjs [--lines 20000] [--rounds 7]
 *
 * Prints the median ns per line over the rounds (after a warm-up round). A
 * figure for comparing builds on one machine, never an assertion anywhere.
 */
const { LineDecoder } = await import(new URL('../../dist/workers/transports/framing.js', import.meta.url));

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
}

const LINES = option('lines', 20_000);
const ROUNDS = option('rounds', 7);
const line = JSON.stringify({ jsonrpc: '2.0', id: 'mcpgw:1', result: { content: [{ type: 'text', text: 'x'.repeat(200) }] } }) + '\n';
const stream = Buffer.from(line.repeat(LINES));
const chunks = [];
for (let at = 0; at < stream.length; at += 65536) chunks.push(stream.subarray(at, at + 65536));

function round() {
  const decoder = new LineDecoder(4 << 20, () => {});
  const started = process.hrtime.bigint();
  let lines = 0;
  for (const chunk of chunks) lines += decoder.push(chunk).length;
  if (lines !== LINES) throw new Error(`expected ${LINES} lines, got ${lines}`);
  return Number(process.hrtime.bigint() - started) / lines;
}

round();
const figures = Array.from({ length: ROUNDS }, round).sort((a, b) => a - b);
console.log(`LineDecoder.push  ${figures[Math.floor(ROUNDS / 2)].toFixed(0)} ns/line (median of ${ROUNDS} rounds of ${LINES}; min ${figures[0].toFixed(0)})`);
