import type { ConfigError, RawDynamicConfig } from '../../src/config/dynamic-config.js';
import { parseYaml } from '../../src/config/parse-yaml.js';

export type ParsedFile =
  | { ok: true; config: RawDynamicConfig; origins: Record<string, string> }
  | { ok: false; error: ConfigError };

/**
 * One dynamic config file (YAML, or JSON, which is YAML) → raw items with the line of each.
 * Only whole-file problems fail here (syntax, wrong shape); item errors are validation's job.
 */
export function parseDynamicFile(text: string, label: string): ParsedFile {
  const fail = (message: string, line?: number, col?: number): ParsedFile => ({
    ok: false,
    error: { provider: 'file', item: label, field: '', message, ...(line ? { origin: `${label}:${line}:${col ?? 1}` } : {}) },
  });
  const read = parseYaml(text, label);
  if (!read.ok) return fail(read.message, read.line, read.col);
  if (read.empty) return { ok: true, config: {}, origins: {} };
  const raw = read.value;
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
  return { ok: true, config: raw as RawDynamicConfig, origins: read.origins };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
