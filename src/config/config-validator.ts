/**
 * The config file's validator, compiled by ajv ahead of time. Compiling the
 * schema at start-up cost ~150 ms of CPU and most of an idle gateway's heap:
 * ajv's code generation grew the young generation to its limit and left
 * promoted garbage behind (idle RSS 90 → 72 MB without it). `npm run build`
 * writes ajv's standalone code for the schema beside this module, stamped with
 * what it was made from; a missing or stale file (a tsc-only build, the schema
 * edited since, another ajv) is not used: the schema is then compiled here, so
 * the validator always matches the schema.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Ajv, ValidateFunction } from 'ajv';

/** The precompiled validator's file name, beside this module in the build. */
export const PRECOMPILED_VALIDATOR = 'config-validator.cjs';

const AJV_OPTIONS = {
  allErrors: true,
  verbose: true, // errors then carry the offending value and the schema, which the wording needs
  strict: true,
  // Substituted `${VAR}`s are strings; `port: "${PORT:-4000}"` must still be a port.
  coerceTypes: true,
  useDefaults: true,
} as const;

const requireHere = createRequire(import.meta.url);

/** What a validator's code depends on: the schema, ajv's options and ajv's version. */
function stampOf(schema: object): string {
  const { version } = requireHere('ajv/package.json') as { version: string };
  return createHash('sha256').update(JSON.stringify([version, AJV_OPTIONS, schema])).digest('hex');
}

/** ajv set up for the config: coercion and defaults, the `uri` format, and the two annotation keywords the error wording reads. */
async function configAjv(source: boolean): Promise<Ajv> {
  const [{ Ajv }, formats] = await Promise.all([import('ajv'), import('ajv-formats')]);
  const ajv = new Ajv(source ? { ...AJV_OPTIONS, code: { source: true, lines: false } } : AJV_OPTIONS);
  // ajv-formats is CommonJS; under NodeNext its default import is the module object, whose `default` is the plugin.
  formats.default.default(ajv, ['uri']);
  ajv.addVocabulary(['x-aliases', 'x-messages']);
  return ajv;
}

/** ajv's standalone (CommonJS) code validating `schema`, stamped: what the build writes to PRECOMPILED_VALIDATOR. */
export async function standaloneValidatorCode(schema: object): Promise<string> {
  const ajv = await configAjv(true);
  const { default: standalone } = await import('ajv/dist/standalone/index.js');
  return `${standalone.default(ajv, ajv.compile(schema))}\nmodule.exports.stamp = ${JSON.stringify(stampOf(schema))};\n`;
}

/** A validator for `schema`: the precompiled one when it was made from this schema (and this ajv), else compiled now. */
export async function loadValidator(schema: object): Promise<ValidateFunction> {
  try {
    const precompiled = requireHere(`./${PRECOMPILED_VALIDATOR}`) as ValidateFunction & { stamp?: unknown };
    if (precompiled.stamp === stampOf(schema)) return precompiled;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error;
  }
  return (await configAjv(false)).compile(schema);
}
