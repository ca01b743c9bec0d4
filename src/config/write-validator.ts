/**
 * `npm run build` runs this after tsc: writes the config validator ajv
 * compiles ahead of time beside config-validator.js (see there).
 */
import { writeFileSync } from 'node:fs';
import { PRECOMPILED_VALIDATOR, standaloneValidatorCode } from './config-validator.js';
import { configSchema } from './schema.js';

writeFileSync(new URL(PRECOMPILED_VALIDATOR, import.meta.url), await standaloneValidatorCode(configSchema));
