import { load, YAMLException } from 'js-yaml';
import type { ConfigError, RawDynamicConfig } from '../../src/config/dynamic-config.js';
import { YAML_CORE_SCHEMA } from './yaml-core-schema.js';
import { MisreadError, recordOrigins } from './yaml-origins.js';

export type ParsedFile =
  | { ok: true; config: RawDynamicConfig; origins: Record<string, string> }
  | { ok: false; error: ConfigError };

/**
 * One dynamic config file (YAML, or JSON, which is YAML) → raw items with the line of each.
 * Only whole-file problems fail here (syntax, wrong shape); item errors are validation's job.
 *
 * js-yaml, not `yaml`: 17× faster on a 50-router file (bench/yaml-parse.mjs, bench/RESULTS.md),
 * and the parse was most of a reload. Values read as `yaml`'s YAML 1.2 core schema read them
 * (yaml-core-schema.ts) and the origins are `yaml`'s too (yaml-origins.ts), recorded during the
 * one parse.
 */
export function parseDynamicFile(text: string, label: string): ParsedFile {
  const fail = (message: string, line?: number, col?: number): ParsedFile => ({
    ok: false,
    error: { provider: 'file', item: label, field: '', message, ...(line ? { origin: `${label}:${line}:${col ?? 1}` } : {}) },
  });
  const recorder = recordOrigins();
  let raw: unknown;
  try {
    // Duplicate keys are an error by default (`json: false`), as `uniqueKeys` was.
    raw = load(text, { schema: YAML_CORE_SCHEMA, listener: recorder.listener });
  } catch (err) {
    if (!(err instanceof YAMLException)) throw err;
    const mark = err.mark as YAMLException['mark'] | undefined;
    const at = mark ? { line: mark.line + 1, col: mark.column + 1 } : recorder.secondDocument();
    return fail(`YAML syntax error: ${err.reason}`, at?.line, at?.col);
  }
  // A file of only blanks and comments is empty; `null` or `~` alone is a value, not a mapping.
  if (!recorder.rootHadContent()) return { ok: true, config: {}, origins: {} };
  if (!isPlainObject(raw)) return fail('expected a mapping at the top level, such as http: {routers: …, services: …}', 1, 1);
  const http = raw['http'];
  if (http !== undefined && http !== null && !isPlainObject(http)) {
    return fail('http must be a mapping with routers and services');
  }
  for (const section of ['routers', 'services'] as const) {
    const value = (http as Record<string, unknown> | undefined)?.[section];
    if (value !== undefined && value !== null && !isPlainObject(value)) {
      return fail(`http.${section} must be a mapping of names to ${section === 'routers' ? 'routers' : 'services'}`);
    }
  }
  let origins: Record<string, string>;
  try {
    origins = recorder.origins(label, text.charCodeAt(0) === 0xfeff);
  } catch (err) {
    if (!(err instanceof MisreadError)) throw err;
    return fail(`YAML syntax error: ${err.message}`, err.line, err.col);
  }
  return { ok: true, config: raw as RawDynamicConfig, origins };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
