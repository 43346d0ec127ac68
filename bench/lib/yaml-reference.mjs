// The `yaml`-library way of reading a dynamic file with the line of every value — what the
// product did before js-yaml (src/config/parse-yaml.ts). Kept as the reference the js-yaml
// origins must equal (test/providers/yaml-origins.test.ts) and the baseline of bench/yaml-parse.mjs.
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';

/** Every path in a document mapped to its `label:line:col`; keys are dotted (`http.services.app.loadBalancer.servers.0.url`). */
export function originsOf(doc, lines, label) {
  const out = {};
  const visit = (node, prefix, at) => {
    const pos = at !== undefined ? lines.linePos(at) : undefined;
    if (prefix && pos) out[prefix] = `${label}:${pos.line}:${pos.col}`;
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        visit(pair.value, prefix ? `${prefix}.${key}` : key, pair.key.range?.[0]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => visit(item, `${prefix}.${i}`, item?.range?.[0]));
    }
  };
  visit(doc.contents, '', undefined);
  return out;
}

/** Parses `text` as the old code did: the document, and (on demand) the origins. */
export function referenceParse(text, label) {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  return { doc, lines, origins: () => originsOf(doc, lines, label) };
}
