import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

export interface Position {
  line: number;
  col: number;
}

/** Finds where a path (`['http','routers','app','rule']`) sits in a YAML/JSON document. */
export function locateIn(doc: Document, lines: LineCounter, path: readonly PropertyKey[]): Position | undefined {
  let node: unknown = doc.contents;
  let last: Node | undefined = doc.contents ?? undefined;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
      if (!pair) break;
      last = (pair.key as Node) ?? last;
      node = pair.value;
      if (node && (isMap(node) || isSeq(node) || isScalar(node))) last = node as Node;
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key];
      if (node && (isMap(node) || isSeq(node) || isScalar(node))) last = node as Node;
      else break;
    } else break;
  }
  const offset = last?.range?.[0];
  if (offset === undefined) return undefined;
  return lines.linePos(offset);
}

/**
 * Every path in a document mapped to its `file:line:col`, for providers that hand origins to
 * validation. Keys are dotted (`http.services.app.loadBalancer.servers.0.url`).
 */
export function originsOf(doc: Document, lines: LineCounter, label: string): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (node: unknown, prefix: string, at: number | undefined): void => {
    const pos = at !== undefined ? lines.linePos(at) : undefined;
    if (prefix && pos) out[prefix] = `${label}:${pos.line}:${pos.col}`;
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        visit(pair.value, prefix ? `${prefix}.${key}` : key, (pair.key as Node).range?.[0]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => visit(item, `${prefix}.${i}`, (item as Node | null)?.range?.[0]));
    }
  };
  visit(doc.contents, '', undefined);
  return out;
}
