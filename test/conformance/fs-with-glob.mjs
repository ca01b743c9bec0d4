/** `node:fs` with `globSync`, for the conformance package on Node 20 (see fs-glob-preload.mjs). */
import fs from 'node:fs';

export * from 'node:fs';
export default fs;
export { globSync } from 'glob';
