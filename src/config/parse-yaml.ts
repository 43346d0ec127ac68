import { load, YAMLException } from 'js-yaml';
import { YAML_CORE_SCHEMA } from './yaml-core-schema.js';
import { MisreadError, recordOrigins } from './yaml-origins.js';

/** A YAML (or JSON) text read, with where each value sits. */
export type ParsedYaml =
  | {
      ok: true;
      value: unknown;
      /** Only blanks and comments: no document at all (`null` or `~` alone is a value). */
      empty: boolean;
      /** Dotted path (`http.services.app.loadBalancer.servers.0.url`) → `label:line:col`. */
      origins: Record<string, string>;
    }
  | { ok: false; message: string; line?: number; col?: number };

/**
 * The one YAML reader of the static config and of dynamic files. js-yaml, not `yaml`: 17×
 * faster on a 50-router file (bench/yaml-parse.mjs, bench/RESULTS.md), where the parse was
 * most of a reload, and a smaller import at start-up. Values read as `yaml`'s YAML 1.2 core
 * schema read them (yaml-core-schema.ts); the origins are recorded during the one parse
 * (yaml-origins.ts). Duplicate keys are an error.
 */
export function parseYaml(text: string, label: string): ParsedYaml {
  const recorder = recordOrigins();
  let value: unknown;
  try {
    value = load(text, { schema: YAML_CORE_SCHEMA, listener: recorder.listener });
  } catch (err) {
    if (!(err instanceof YAMLException)) throw err;
    const mark = err.mark as YAMLException['mark'] | undefined;
    const at = mark ? { line: mark.line + 1, col: mark.column + 1 } : recorder.secondDocument();
    return { ok: false, message: `YAML syntax error: ${err.reason}`, ...(at ? { line: at.line, col: at.col } : {}) };
  }
  if (!recorder.rootHadContent()) return { ok: true, value: undefined, empty: true, origins: {} };
  try {
    const origins = recorder.origins(label, text.charCodeAt(0) === 0xfeff);
    return { ok: true, value: detachStrings(value), empty: false, origins };
  } catch (err) {
    if (!(err instanceof MisreadError)) throw err;
    return { ok: false, message: `YAML syntax error: ${err.message}`, line: err.line, col: err.col };
  }
}

/** The line of `path`, or of its nearest ancestor that has one (a missing key: its parent's). */
export function lineOf(origins: Record<string, string>, path: readonly PropertyKey[]): number | undefined {
  for (let n = path.length; n > 0; n--) {
    const origin = origins[path.slice(0, n).map(String).join('.')];
    if (origin) return Number(/:(\d+):\d+$/.exec(origin)?.[1]);
  }
  return undefined;
}

/**
 * js-yaml cuts scalars out of the text with `slice`, and V8 keeps a slice of 13 characters or
 * more as a view of the whole text: one value that outlives its parse (a router the next
 * reload reuses) keeps every byte of that version of the file alive. Measured: 20 kept rule
 * strings from 20 versions of a 300 KiB file held 5.7 MiB; copied, nothing (bench/RESULTS.md,
 * "Reload cost"). `(' ' + s).slice(1)` makes V8 flatten into a new string of s's own size, for
 * about 2 ms per 300 KiB file. Objects and arrays are updated in place.
 */
function detachStrings(value: unknown): unknown {
  if (typeof value === 'string') return value.length >= 13 ? (' ' + value).slice(1) : value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = detachStrings(value[i]);
  } else if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const before = record[key];
      const after = detachStrings(before);
      if (after === before) continue;
      // An own `__proto__` key (js-yaml defines it as data) must not go through the setter.
      if (key === '__proto__') Object.defineProperty(record, key, { value: after, writable: true, enumerable: true, configurable: true });
      else record[key] = after;
    }
  }
  return value;
}
