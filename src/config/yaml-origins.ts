import type { EventType, State } from 'js-yaml';

/**
 * Where each value of a YAML file sits, recorded while js-yaml parses it (its `listener`
 * option), so there is no second parse. The map is the one the `yaml` library's Document gave
 * (bench/lib/yaml-reference.mjs) — checked equal on fixtures in test/providers/yaml-origins.test.ts:
 * - a mapping entry's path → where its key starts (after any `&anchor`/`!tag`);
 * - a list entry's path → where the entry starts (an empty `-` entry: just after the `-` and
 *   its blanks);
 * - nothing under an alias (`*name`), and no entry for a key that is not a scalar.
 *
 * js-yaml reports only `open` (a node begins, before blanks and properties) and `close` (done:
 * kind, result, position) for each node, so the tree of nodes is rebuilt from those, and the
 * few facts the events do not carry (is this key followed by `:`? where does the content
 * start?) are read from the text, a few characters each.
 */

/** One composed node: where js-yaml began reading it and what it made. */
class YamlNode {
  end = 0;
  kind: string | null = null;
  result: unknown = null;
  kids: YamlNode[] | null = null;
  constructor(
    readonly pos: number,
    readonly line: number,
    readonly lineStart: number,
  ) {}
}

/** An error found after js-yaml succeeded: its answer differs from what `yaml` read. */
export class MisreadError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly col: number,
  ) {
    super(message);
  }
}

export interface OriginRecorder {
  listener: (this: State, event: EventType, state: State) => void;
  /** Whether the document had content: `yaml` reads a file of only comments as empty, and `null` as a value. */
  rootHadContent(): boolean;
  /** Where the second document begins (1-based), for js-yaml's "found more" error, which has no mark. */
  secondDocument(): { line: number; col: number } | undefined;
  /** The origins map (dotted path → `label:line:col`); call after a successful load. */
  origins(label: string, hadBom: boolean): Record<string, string>;
}

export function recordOrigins(): OriginRecorder {
  const top = new YamlNode(0, 0, 0);
  const stack: YamlNode[] = [top];
  let input = '';
  let rootProps = false;
  const listener = (event: EventType, state: State): void => {
    if (event === 'open') {
      const node = new YamlNode(state.position, state.line, state.lineStart);
      stack.push(node);
      return;
    }
    const node = stack.pop()!;
    const parent = stack[stack.length - 1]!;
    node.end = state.position;
    node.kind = state.kind;
    node.result = state.result;
    if (node.kind !== 'mapping' && node.kind !== 'sequence') {
      // Children of a scalar are a block mapping js-yaml tried and rolled back.
      node.kids = null;
    } else if (node.kids?.length === 1 && node.kids[0]!.kind === node.kind && node.kids[0]!.result === node.result) {
      // A value that js-yaml first tried as a block mapping's key (`a:\n  [x, y]`): the
      // collection is the child; the node is the same collection.
      node.kids = node.kids[0]!.kids;
    }
    (parent.kids ??= []).push(node);
    if (parent === top && parent.kids.length === 1) {
      input = state.input;
      const props = state as unknown as { tag: string | null; anchor: string | null };
      rootProps = props.tag !== null || props.anchor !== null;
    }
  };
  return {
    listener: listener as OriginRecorder['listener'],
    rootHadContent() {
      const root = top.kids?.[0];
      return root !== undefined && (root.kind !== null || root.result !== null || rootProps);
    },
    secondDocument() {
      const second = top.kids?.[1];
      return second && { line: second.line + 1, col: second.pos - second.lineStart + 1 };
    },
    origins(label, hadBom) {
      const out: Record<string, string> = {};
      const root = top.kids?.[0];
      if (root) new Walk(input, label, out, hadBom ? 1 : 0).visit(root, '');
      return out;
    },
  };
}

/** Turns the node tree into origins, reading the text only where the events say too little. */
class Walk {
  constructor(
    private readonly src: string,
    private readonly label: string,
    private readonly out: Record<string, string>,
    /** js-yaml drops a byte-order mark before parsing; `yaml` counted it as column 1 of line 1. */
    private readonly bomShift: number,
  ) {}

  visit(node: YamlNode, prefix: string): void {
    const kids = node.kids;
    if (!kids) return;
    if (node.kind === 'mapping') this.mapping(kids, prefix);
    else if (node.kind === 'sequence') {
      if (this.src.charCodeAt(this.start(node).pos) === 0x5b /* [ */) this.flowSequence(kids, prefix);
      else this.blockSequence(node, kids, prefix);
    }
  }

  private mapping(kids: YamlNode[], prefix: string): void {
    for (let i = 0; i < kids.length; i++) {
      const key = kids[i]!;
      // A key with no value node (`? a` alone, `{a, b}`) is not followed by `:`.
      const value = this.colonAfter(key.end) ? kids[++i] : undefined;
      if (key.kind !== 'scalar') continue;
      const path = prefix ? `${prefix}.${String(key.result)}` : String(key.result);
      this.out[path] = this.where(this.start(key));
      if (value) this.visit(value, path);
    }
  }

  private flowSequence(kids: YamlNode[], prefix: string): void {
    let index = 0;
    for (let i = 0; i < kids.length; i++) {
      const item = kids[i]!;
      const path = `${prefix}.${index++}`;
      const at = this.where(this.start(item));
      this.out[path] = at;
      if (this.colonAfter(item.end)) {
        // `[a: 1]`: a one-pair mapping, placed (and keyed) at its key.
        const value = kids[++i];
        if (item.kind !== 'scalar') continue;
        const pairPath = `${path}.${String(item.result)}`;
        this.out[pairPath] = at;
        if (value) this.visit(value, pairPath);
      } else this.visit(item, path);
    }
  }

  private blockSequence(node: YamlNode, kids: YamlNode[], prefix: string): void {
    const length = (node.result as unknown[]).length;
    if (kids.length === length) {
      kids.forEach((item, i) => {
        const path = `${prefix}.${i}`;
        this.out[path] = this.where(this.start(item));
        this.visit(item, path);
      });
      return;
    }
    // Entries written as a bare `-` compose no node: find every `-` between the children.
    const first = this.start(node);
    const col = first.pos - first.lineStart;
    let index = 0;
    let k = 0;
    let p = first.pos;
    let line = first.line;
    let lineStart = first.lineStart;
    const src = this.src;
    while (p < node.end) {
      const kid = kids[k];
      if (kid && p === kid.pos) {
        const path = `${prefix}.${index++}`;
        this.out[path] = this.where(this.start(kid));
        this.visit(kid, path);
        ({ line, lineStart } = this.lineAt(kid.end, kid.line, kid.lineStart, kid.pos));
        p = kid.end;
        k++;
        continue;
      }
      const c = src.charCodeAt(p);
      if (c === 0x0a) {
        line++;
        lineStart = ++p;
      } else if (c === 0x23 /* # */) {
        while (p < node.end && src.charCodeAt(p) !== 0x0a) p++;
      } else if (c === 0x2d /* - */ && isBlankOrEnd(src.charCodeAt(p + 1))) {
        if (p - lineStart !== col) {
          // js-yaml 4 lets an empty `-` entry swallow the less-indented `-` entries after it
          // (`- - a\n  -\n- b` → [[a, null, b]]); `yaml` read [[a, null], b].
          throw new MisreadError('an empty list entry ("-" alone) followed by a less indented "-" entry is read wrongly; write "- null" or remove it', line + 1, p - lineStart + 1);
        }
        p++;
        // If a child starts next, this `-` is its own; otherwise the entry is empty.
        let q = p;
        while (src.charCodeAt(q) === 0x20 || src.charCodeAt(q) === 0x09) q++;
        if (!(kid && this.onlyBlanksBetween(q, kid.pos))) {
          this.out[`${prefix}.${index++}`] = this.where({ pos: q, line, lineStart });
        }
      } else p++;
    }
  }

  /** Whether only blanks, line breaks and comments lie in [from, to). */
  private onlyBlanksBetween(from: number, to: number): boolean {
    const src = this.src;
    for (let p = from; p < to; p++) {
      const c = src.charCodeAt(p);
      if (c === 0x23) {
        while (p < to && src.charCodeAt(p) !== 0x0a) p++;
      } else if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return false;
    }
    return true;
  }

  /** The line of `pos`, counting from a known earlier place. */
  private lineAt(pos: number, line: number, lineStart: number, from: number): { line: number; lineStart: number } {
    for (let p = from; p < pos; p++) {
      if (this.src.charCodeAt(p) === 0x0a) {
        line++;
        lineStart = p + 1;
      }
    }
    return { line, lineStart };
  }

  /** Whether the next thing after `pos`, past blanks, line breaks and comments, is `:`. */
  private colonAfter(pos: number): boolean {
    const src = this.src;
    for (let p = pos; ; p++) {
      const c = src.charCodeAt(p);
      if (c === 0x3a) return true;
      if (c === 0x23) {
        while (p < src.length && src.charCodeAt(p) !== 0x0a) p++;
      } else if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return false;
    }
  }

  /** Where a node's content begins: past the blanks, comments and properties js-yaml read first. */
  private start(node: YamlNode): { pos: number; line: number; lineStart: number } {
    const src = this.src;
    let p = node.pos;
    let line = node.line;
    let lineStart = node.lineStart;
    for (;;) {
      const c = src.charCodeAt(p);
      if (c === 0x20 || c === 0x09 || c === 0x0d) p++;
      else if (c === 0x0a) {
        line++;
        lineStart = ++p;
      } else if (c === 0x23 /* # */) {
        while (p < src.length && src.charCodeAt(p) !== 0x0a) p++;
      } else if (c === 0x26 /* & */ || c === 0x21 /* ! */) {
        p++;
        while (p < src.length && !isBlankOrEnd(src.charCodeAt(p)) && !(c === 0x26 && isFlowIndicator(src.charCodeAt(p)))) p++;
      } else return { pos: p, line, lineStart };
    }
  }

  private where(at: { pos: number; line: number; lineStart: number }): string {
    const col = at.pos - at.lineStart + 1 + (at.line === 0 ? this.bomShift : 0);
    return `${this.label}:${at.line + 1}:${col}`;
  }
}

function isBlankOrEnd(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || Number.isNaN(c) || c === 0;
}

function isFlowIndicator(c: number): boolean {
  return c === 0x2c || c === 0x5b || c === 0x5d || c === 0x7b || c === 0x7d;
}
