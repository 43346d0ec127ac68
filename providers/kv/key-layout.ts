import type { z } from 'zod';
import { routerSchema, serviceSchema } from '../../src/config/dynamic-schema.js';

/**
 * What a KV path segment means at one place in the tree: a field of a known object (looked up
 * case-insensitively), a user-chosen name (router, service), a list index token, a plain value,
 * or a part of the tree Switchyard does not model (kept as written; validation reports it).
 */
export type KeyShape =
  | { kind: 'object'; fields: ReadonlyMap<string, { name: string; shape: KeyShape }> }
  | { kind: 'names'; value: KeyShape }
  | { kind: 'list'; element: KeyShape }
  | { kind: 'leaf' }
  | { kind: 'any' };

export const ANY: KeyShape = { kind: 'any' };
const LEAF: KeyShape = { kind: 'leaf' };

function object(fields: Record<string, KeyShape>): KeyShape {
  return { kind: 'object', fields: new Map(Object.entries(fields).map(([name, shape]) => [name.toLowerCase(), { name, shape }])) };
}

const names = (value: KeyShape): KeyShape => ({ kind: 'names', value });

/**
 * The canonical field names come from the same zod schemas that validate items, so a field the
 * schema gains (healthCheck, middlewares, …) is understood in any casing with no change here.
 */
export function shapeOfSchema(schema: z.ZodType): KeyShape {
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
  switch (def.type) {
    case 'object': {
      const shape = def['shape'] as Record<string, z.ZodType>;
      return object(Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, shapeOfSchema(v)])));
    }
    case 'array':
      return { kind: 'list', element: shapeOfSchema(def['element'] as z.ZodType) };
    case 'record':
      return names(shapeOfSchema(def['valueType'] as z.ZodType));
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'catch':
    case 'readonly':
    case 'nonoptional':
      return shapeOfSchema(def['innerType'] as z.ZodType);
    case 'pipe': {
      // preprocess = pipe(transform, schema); .transform() = pipe(schema, transform).
      const out = shapeOfSchema(def['out'] as z.ZodType);
      return out.kind === 'any' || out.kind === 'leaf' ? mergeLeaf(shapeOfSchema(def['in'] as z.ZodType), out) : out;
    }
    case 'union': {
      const options = (def['options'] as z.ZodType[]).map(shapeOfSchema);
      return options.find((s) => s.kind !== 'leaf' && s.kind !== 'any') ?? LEAF;
    }
    case 'transform':
    case 'unknown':
    case 'any':
      return ANY;
    default:
      return LEAF;
  }
}

function mergeLeaf(a: KeyShape, b: KeyShape): KeyShape {
  if (a.kind !== 'any') return a;
  return b;
}

/** Traefik's dynamic-config tree, as far as Switchyard models it. */
export const dynamicKeyLayout: KeyShape = object({
  http: object({
    routers: names(shapeOfSchema(routerSchema)),
    services: names(shapeOfSchema(serviceSchema)),
    middlewares: names(ANY),
    serversTransports: names(ANY),
  }),
  tcp: ANY,
  udp: ANY,
  tls: ANY,
});
