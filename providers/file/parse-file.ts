import { isMap, LineCounter, parseDocument } from 'yaml';
import type { ConfigError, RawDynamicConfig } from '../../src/config/dynamic-config.js';
import { originsOf } from '../../src/config/yaml-locate.js';

export type ParsedFile =
  | { ok: true; config: RawDynamicConfig; origins: Record<string, string> }
  | { ok: false; error: ConfigError };

/**
 * One dynamic config file (YAML, or JSON, which is YAML) → raw items with the line of each.
 * Only whole-file problems fail here (syntax, wrong shape); item errors are validation's job.
 */
export function parseDynamicFile(text: string, label: string): ParsedFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const fail = (message: string, line?: number, col?: number): ParsedFile => ({
    ok: false,
    error: { provider: 'file', item: label, field: '', message, ...(line ? { origin: `${label}:${line}:${col ?? 1}` } : {}) },
  });
  const syntax = doc.errors[0];
  if (syntax) {
    const pos = lines.linePos(syntax.pos[0]);
    return fail(`YAML syntax error: ${syntax.message.split('\n')[0]}`, pos?.line, pos?.col);
  }
  if (doc.contents === null) return { ok: true, config: {}, origins: {} };
  if (!isMap(doc.contents)) return fail('expected a mapping at the top level, such as http: {routers: …, services: …}', 1, 1);
  const raw = doc.toJS() as Record<string, unknown>;
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
  return { ok: true, config: raw as RawDynamicConfig, origins: originsOf(doc, lines, label) };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
