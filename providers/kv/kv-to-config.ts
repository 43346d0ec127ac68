import type { ConfigError, RawDynamicConfig } from '../../src/config/dynamic-config.js';
import { ANY, dynamicKeyLayout, type KeyShape } from './key-layout.js';

/** A KV tree turned into what every provider emits. */
export interface KvConfig {
  config: RawDynamicConfig;
  /** Dotted item path (`http.services.app.loadBalancer.servers.0.url`) → the KV key it came from. */
  origins: Record<string, string>;
  /** Keys that could not be placed (empty segments, duplicates that differ only in case, …). */
  errors: ConfigError[];
}

interface Node {
  shape: KeyShape;
  /** The key (or key prefix) this node was first written under. */
  key: string;
  value?: string;
  children?: Map<string, Node>;
}

/**
 * Turns the keys under `rootKey` (Traefik's KV layout: `root/http/services/app/loadBalancer/
 * servers/<token>/url`) into the same raw dynamic config the file provider yields. Path segments
 * are matched case-insensitively and written in the schema's casing; list indices may be any
 * token (an instance id) and are ordered numerically when all are numbers, else by code point.
 * Values stay strings: the shared schema accepts numeric and boolean strings.
 */
export function kvToConfig(entries: Iterable<readonly [string, string]>, rootKey: string, provider: string): KvConfig {
  const prefix = `${rootKey}/`;
  const errors: ConfigError[] = [];
  const root: Node = { shape: dynamicKeyLayout, key: rootKey };
  // Sorted, so that which of two clashing keys wins never depends on read order.
  const keys = [...entries].filter(([k]) => k.startsWith(prefix)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [key, value] of keys) {
    const segments = key.slice(prefix.length).split('/');
    if (segments.length === 1 && segments[0] === '') continue;
    if (segments.some((s) => s === '')) {
      errors.push({ provider, item: `key ${key}`, field: '', message: 'has an empty path segment (a doubled or trailing /); ignored' });
      continue;
    }
    let node = root;
    let at = rootKey;
    for (const segment of segments) {
      at = `${at}/${segment}`;
      const { name, shape } = childOf(node.shape, segment);
      node.children ??= new Map();
      let child = node.children.get(name);
      if (!child) {
        child = { shape, key: at };
        node.children.set(name, child);
      }
      node = child;
    }
    if (node.value !== undefined) {
      errors.push({
        provider,
        item: `key ${key}`,
        field: '',
        message: `names the same field as key ${node.key} (path segments are case-insensitive); using ${node.key}`,
      });
      continue;
    }
    node.value = value;
    node.key = key;
  }
  const origins: Record<string, string> = {};
  const config = root.children ? (build(root, '', origins, errors, provider) as RawDynamicConfig) : {};
  return { config, origins, errors };
}

function childOf(shape: KeyShape, segment: string): { name: string; shape: KeyShape } {
  switch (shape.kind) {
    case 'object':
      return shape.fields.get(segment.toLowerCase()) ?? { name: segment, shape: ANY };
    case 'names':
      return { name: segment, shape: shape.value };
    case 'list':
      return { name: segment, shape: shape.element };
    default:
      return { name: segment, shape: ANY };
  }
}

function build(node: Node, path: string, origins: Record<string, string>, errors: ConfigError[], provider: string): unknown {
  if (path) origins[path] = node.key;
  if (!node.children) return node.value;
  if (node.value !== undefined && node.value !== '') {
    errors.push({ provider, item: `key ${node.key}`, field: '', message: 'has a value and also keys below it; the value is ignored' });
  }
  const join = (segment: string | number): string => (path ? `${path}.${segment}` : String(segment));
  if (node.shape.kind === 'list') {
    return sortTokens([...node.children.keys()]).map((token, i) => build(node.children!.get(token)!, join(i), origins, errors, provider));
  }
  const out: Record<string, unknown> = {};
  for (const [segment, child] of node.children) out[segment] = build(child, join(segment), origins, errors, provider);
  return out;
}

/** List index tokens in list order: numerically when every token is a number, else by code point. */
export function sortTokens(tokens: readonly string[]): string[] {
  const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  if (!tokens.every((t) => /^\d+$/.test(t))) return [...tokens].sort(byCodePoint);
  const digits = (t: string): string => t.replace(/^0+(?=\d)/, '');
  return [...tokens].sort((a, b) => {
    const da = digits(a);
    const db = digits(b);
    return da.length - db.length || byCodePoint(da, db) || byCodePoint(a, b);
  });
}
