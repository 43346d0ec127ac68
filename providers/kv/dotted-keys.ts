import { ANY, dynamicKeyLayout, type KeyShape } from './key-layout.js';

/** One KV entry made from a dotted key, and the dotted key it came from. */
export interface DottedEntry {
  key: string;
  value: string;
  from: string;
}

/**
 * Labels and tags (Docker labels today) are Traefik's KV layout written with dots:
 * `http.routers.web.rule` is `<root>/http/routers/web/rule`. A list of plain values may be one
 * comma-separated label (`http.routers.web.entryPoints=web,admin`), as in Traefik; it becomes
 * `…/entryPoints/0`, `…/entryPoints/1`. Which fields are such lists comes from the same key layout
 * kvToConfig uses, so both read the tree alike.
 */
export function dottedToKv(entries: Iterable<readonly [string, string]>, rootKey: string): DottedEntry[] {
  const out: DottedEntry[] = [];
  for (const [dotted, value] of entries) {
    const segments = dotted.split('.');
    const key = `${rootKey}/${segments.join('/')}`;
    const shape = shapeAt(segments);
    if (shape.kind === 'list' && shape.element.kind === 'leaf') {
      value
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '')
        .forEach((v, i) => out.push({ key: `${key}/${i}`, value: v, from: dotted }));
      continue;
    }
    out.push({ key, value, from: dotted });
  }
  return out;
}

/** The shape a path reaches in the dynamic-config layout (field names case-insensitive). */
function shapeAt(segments: readonly string[]): KeyShape {
  let shape = dynamicKeyLayout;
  for (const segment of segments) {
    switch (shape.kind) {
      case 'object':
        shape = shape.fields.get(segment.toLowerCase())?.shape ?? ANY;
        break;
      case 'names':
        shape = shape.value;
        break;
      case 'list':
        shape = shape.element;
        break;
      default:
        return ANY;
    }
  }
  return shape;
}
