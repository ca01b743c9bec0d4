/**
 * `node --import ./test/conformance/fs-glob-preload.mjs …`: lets
 * @modelcontextprotocol/conformance load on Node 20, whose `fs` has no
 * `globSync` (added in Node 22). The conformance bundle imports it by name, and
 * a builtin's ESM exports cannot be extended at runtime, so its `fs` import
 * alone is resolved to a module that is `node:fs` plus the `glob` package's
 * `globSync` (same call shape: pattern, { cwd } → relative paths). On a Node
 * that has `fs.globSync`, nothing is changed.
 */
import fs from 'node:fs';
import { register } from 'node:module';

if (typeof fs.globSync !== 'function') register('./fs-glob-hooks.mjs', import.meta.url);
