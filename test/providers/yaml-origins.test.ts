import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isMap } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDynamicFile } from '../../providers/file/parse-file.js';
import { referenceParse } from '../../bench/lib/yaml-reference.mjs';
// @ts-expect-error: a plain .mjs module with no types
import { dynamicConfig } from '../../bench/lib/switchyard.mjs';

/**
 * parse-file.ts moved from the `yaml` library to js-yaml (speed). This is the `yaml` code it
 * replaced, kept only here as the reference: the values and the origins must be the same.
 */
function reference(text: string, label: string): { config: unknown; origins: Record<string, string> } | { error: string } {
  const { doc, origins } = referenceParse(text, label);
  if (doc.errors[0]) return { error: doc.errors[0].message };
  if (doc.contents === null) return { config: {}, origins: {} };
  if (!isMap(doc.contents)) return { error: 'not a mapping' };
  return { config: doc.toJS(), origins: origins() };
}

/** Files that read the same with both parsers: every style a dynamic config is written in. */
const FIXTURES: Record<string, string> = {
  'block.yaml': `http:
  routers:
    app:
      rule: "Host(\`app.test\`) && PathPrefix(\`/api\`)"
      service: app
      entryPoints: [web, websecure]
      priority: 10
      middlewares:
        - strip
        - auth
  services:
    app:
      loadBalancer:
        strategy: roundRobin
        servers:
          - url: http://127.0.0.1:8080
            weight: 2
          - url: "http://127.0.0.1:8081"
        healthCheck:
          path: /health
          interval: 5s
          timeout: 1s
        sticky:
          cookie:
            name: sy_sticky
            secure: true
            httpOnly: false
`,
  'flow.yaml': `http:
  routers:
    r0: { rule: "Host(\`app0.bench.test\`)", service: s0 }
    r1: {rule: 'Host(\`app1\`)', service: s1, entryPoints: [web]}
  services:
    s0: { loadBalancer: { strategy: roundRobin, servers: [{ url: "http://127.0.0.1:1" }, { url: "http://127.0.0.1:2", weight: 3 }] } }
    s1: {loadBalancer: {servers: [{url: x}], healthCheck: {path: /h, interval: 1s}, sticky: {cookie: {name: c}}}}
`,
  'json.json': JSON.stringify(
    {
      http: {
        routers: { app: { rule: 'Host(`a`)', service: 'app', priority: 1.5 } },
        services: { app: { loadBalancer: { servers: [{ url: 'http://a:1' }, { url: 'http://a:2', weight: 0 }], sticky: null } } },
      },
    },
    null,
    2,
  ),
  'json-compact.json': '{"http":{"routers":{"a":{"rule":"Host(`a`)","service":"a"}},"services":{"a":{"loadBalancer":{"servers":[{"url":"u"},{"url":"v"}]}}}}}',
  'comments.yaml': `# leading comment
http: # after a key
  # before a section
  routers:

    app: # trailing
      # inside
      rule: Host(\`a\`) # after a value
      service: app
  services:
    app:
      loadBalancer:
        servers:
          # a comment before an entry
          - url: u1 # after
          -   url: u2
          -
            url: u3
`,
  'multiline.yaml': `http:
  routers:
    lit:
      rule: |
        Host(\`a\`)
          || Host(\`b\`)
      service: s
    fold:
      rule: >-
        Host(\`c\`) ||
        Host(\`d\`)
      service: s
    plain:
      rule: Host(\`e\`)
        || Host(\`f\`)
      service: s
    quoted:
      rule: "Host(\`g\`)
        || Host(\`h\`)"
      service: 's
        t'
`,
  'anchors.yaml': `x-defaults: &lb
  strategy: roundRobin
  servers:
    - &first { url: http://a:1 }
    - url: http://a:2
http:
  routers:
    a: &router { rule: Host(\`a\`), service: a }
    b: *router
    &k c: { rule: Host(\`c\`), service: a }
  services:
    a:
      loadBalancer: *lb
    b:
      loadBalancer:
        servers: [*first, &second { url: http://b:1 }, *second]
    c: &cc
      loadBalancer: !!map
        servers: !!seq
          - !!map { url: !!str 8080 }
`,
  'scalars.yaml': `values:
  ints: [1, -1, +1, 0, 007, 0o17, 0x1F, 0b101, 1_000, -0x1, +0o7, 9007199254740993]
  floats: [1.5, 1., .5, -.5, +.5, 1e3, 1E-3, +1.5e+3, .inf, -.Inf, .nan, 1.0]
  bools: [true, True, TRUE, false, yes, no, on, off, y, n]
  nulls: [null, Null, NULL, ~, ]
  dates: [2001-12-14, 2001-12-14T21:59:43.10-05:00, 12:30:45, 1:20]
  strings: ['1', "true", !!str 1, !local x]
  merge: { <<: { a: 1 }, b: 2 }
  keys: { 1: a, 1.5: b, true: c, 0x10: d, "quoted key": e, 'single': f, dotted.key: g }
`,
  'lists.yaml': `l:
  - - x
    - y
  - a: 1
    b: 2
  -
  - # only a comment
  - [a: 1, b]
  - []
  - {}
  -

    late: entry
m:
  - a
  -
n: [ a , "b" , [c, d], {e: f} ]
`,
  'explicit.yaml': `? a
: 1
? b
c: {d, e: 1}
`,
  'passthrough.yaml': `a:
  [x, y]
b:
  {c: 1, d: [1, 2]}
e:
  - f
f: &anchored
  g: 1
h:
  &z i: 2
`,
  'crlf.yaml': 'http:\r\n  routers:\r\n    a: { rule: x,\r\n      service: s }\r\n  services:\r\n    s:\r\n      loadBalancer:\r\n        servers:\r\n          - url: u\r\n',
  'bom.yaml': '\uFEFFhttp:\n  routers:\n    a: {rule: x, service: s}\n',
  'bom.json': '\uFEFF{"http": {"routers": {"a": {"rule": "x"}}}}',
  'tabs.yaml': 'a:\t1\nb:\n  c:\t{ d:\t2 }\n',
  'document.yaml': '%YAML 1.2\n---\nhttp:\n  routers: {}\n...\n',
  'unicode.yaml': 'http:\n  routers:\n    "é€😀": { rule: "Host(`ü.test`)", service: "😀" }\n    ключ: {rule: x}\n',
  'bench-50.yaml': dynamicConfig({ routers: 50, ports: [1, 2, 3] }),
  'bench-shared.yaml': dynamicConfig({ routers: 20, ports: [1, 2], shared: true, change: 3 }),
  'only-comments.yaml': '# nothing here\n\n   # at all\n',
  'empty.yaml': '',
};

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sy-yaml-origins-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function roundTrip(name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  return readFile(file, 'utf8');
}

describe('parseDynamicFile (js-yaml) reads files as the yaml library did', () => {
  for (const [name, source] of Object.entries(FIXTURES)) {
    it(`${name}: same values and same origins`, async () => {
      const text = await roundTrip(name, source);
      const expected = reference(text, name);
      const parsed = parseDynamicFile(text, name);
      if ('error' in expected) throw new Error(`fixture ${name} does not parse with yaml: ${expected.error}`);
      expect(parsed.ok, JSON.stringify(parsed)).toBe(true);
      if (!parsed.ok) return;
      expect(parsed.config).toStrictEqual(expected.config);
      expect(parsed.origins).toStrictEqual(expected.origins);
    });
  }

  it('generated files in mixed styles: same values and same origins', () => {
    const random = seeded(7);
    for (let n = 0; n < 300; n++) {
      const text = `${render({ data: tree(random, 0) }, random, 0, false)}\n`;
      const expected = reference(text, 'g.yaml');
      if ('error' in expected) throw new Error(`generated file does not parse with yaml: ${expected.error}\n${text}`);
      const parsed = parseDynamicFile(text, 'g.yaml');
      expect(parsed.ok, text).toBe(true);
      if (!parsed.ok) return;
      expect(parsed.config, text).toStrictEqual(expected.config);
      expect(parsed.origins, text).toStrictEqual(expected.origins);
    }
  });

  it('keeps an alias as the same object, as yaml did', async () => {
    const parsed = parseDynamicFile(await roundTrip('alias.yaml', FIXTURES['anchors.yaml']!), 'alias.yaml');
    if (!parsed.ok) throw new Error('no parse');
    const routers = (parsed.config.http as { routers: Record<string, unknown> }).routers;
    expect(routers['a']).toBe(routers['b']);
  });

  it('reads a date as a string and yes/no/on/off as strings (YAML 1.2 core, no timestamps)', async () => {
    const parsed = parseDynamicFile(await roundTrip('types.yaml', 'a: 2001-12-14\nb: yes\nc: off\nd: 0o17\ne: 010\n'), 'types.yaml');
    expect(parsed).toMatchObject({ ok: true, config: { a: '2001-12-14', b: 'yes', c: 'off', d: 15, e: 10 } });
  });
});

describe('parseDynamicFile errors', () => {
  const cases: Array<[string, string, RegExp, string | undefined]> = [
    ['unclosed flow', 'http:\n  routers: { a: [1, 2\n', /^YAML syntax error: /, undefined],
    ['duplicate key', 'http:\n  routers:\n    a: {}\n    a: {}\n', /^YAML syntax error: duplicated mapping key$/, 'f.yaml:4:5'],
    ['duplicate key in flow', 'a: {x: 1, x: 2}\n', /^YAML syntax error: duplicated mapping key$/, 'f.yaml:1:11'],
    ['duplicate key in JSON', '{"a": 1, "a": 2}', /^YAML syntax error: duplicated mapping key$/, 'f.yaml:1:10'],
    ['bad indentation', 'a:\n  b: 1\n c: 2\n', /^YAML syntax error: /, undefined],
    ['two documents', 'a: 1\n---\nb: 2\n', /^YAML syntax error: /, 'f.yaml:3:1'],
    ['unknown alias', 'a: *nope\n', /^YAML syntax error: /, 'f.yaml:1:9'],
    ['a list at the top', '- a\n- b\n', /^expected a mapping at the top level/, 'f.yaml:1:1'],
    ['a string at the top', 'hello\n', /^expected a mapping at the top level/, 'f.yaml:1:1'],
    ['null at the top', 'null\n', /^expected a mapping at the top level/, 'f.yaml:1:1'],
    ['http not a mapping', 'http: [a]\n', /^http must be a mapping with routers and services$/, undefined],
    ['routers not a mapping', 'http:\n  routers: [a]\n', /^http\.routers must be a mapping of names to routers$/, undefined],
    ['services not a mapping', 'http:\n  services: x\n', /^http\.services must be a mapping of names to services$/, undefined],
    // js-yaml 4 would read this as [[a, null, b]]; yaml read [[a, null], b].
    ['empty entry before a shallower one', 'l:\n  - - a\n    -\n  - b\n', /^YAML syntax error: an empty list entry/, 'f.yaml:4:3'],
  ];
  for (const [what, source, message, origin] of cases) {
    it(what, async () => {
      const parsed = parseDynamicFile(await roundTrip('f.yaml', source), 'f.yaml');
      expect(parsed.ok).toBe(false);
      if (parsed.ok) return;
      expect(parsed.error.message).toMatch(message);
      if (origin) expect(parsed.error.origin).toBe(origin);
      else if (message.source.startsWith('^YAML')) expect(parsed.error.origin).toMatch(/^f\.yaml:\d+:\d+$/);
    });
  }

  it('empty and comment-only files are empty configs', () => {
    expect(parseDynamicFile('', 'e.yaml')).toEqual({ ok: true, config: {}, origins: {} });
    expect(parseDynamicFile('# just a comment\n', 'e.yaml')).toEqual({ ok: true, config: {}, origins: {} });
    expect(parseDynamicFile('---\n', 'e.yaml')).toEqual({ ok: true, config: {}, origins: {} });
  });
});

type Tree = string | number | boolean | null | Tree[] | { [key: string]: Tree };

function seeded(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
}

const SCALARS: Tree[] = ['http://127.0.0.1:8080', 'Host(`a.test`) && Path(`/x`)', 'roundRobin', 'a b', 3, 0.5, true, null, '10s', 'x: y', '#not-a-comment'];

function tree(random: () => number, depth: number): Tree {
  const r = random();
  if (depth > 3 || r < 0.35) return SCALARS[Math.floor(random() * SCALARS.length)]!;
  if (r < 0.55) return Array.from({ length: Math.floor(random() * 4) }, () => tree(random, depth + 1));
  const out: Record<string, Tree> = {};
  for (let i = Math.floor(random() * 4) + 1; i > 0; i--) out[`k${Math.floor(random() * 100)}`] = tree(random, depth + 1);
  return out;
}

/** A tree as YAML: block or flow (JSON-like or plain) at random, with comments and blank lines. */
function render(value: Tree, random: () => number, indent: number, inFlow: boolean): string {
  const pad = '  '.repeat(indent);
  const scalar = (v: Tree): string => (typeof v === 'string' ? (random() < 0.5 ? JSON.stringify(v) : `'${v.replace(/'/g, "''")}'`) : String(v));
  if (value === null || typeof value !== 'object') return scalar(value);
  const comment = (): string => (random() < 0.2 ? ' # note' : '');
  if (inFlow || (indent > 0 && random() < 0.4)) {
    const sep = random() < 0.3 ? `,\n${pad}` : ', ';
    if (Array.isArray(value)) return `[${value.map((v) => render(v, random, indent + 1, true)).join(sep)}]`;
    const entries = Object.entries(value).map(([k, v]) => `${random() < 0.5 ? JSON.stringify(k) : k}: ${render(v, random, indent + 1, true)}`);
    return `{${entries.join(sep)}}`;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return value
      .map((v) => {
        const inner = render(v, random, indent + 1, false);
        const block = typeof v === 'object' && v !== null && !inner.startsWith('[') && !inner.startsWith('{');
        return `${pad}-${block ? `${comment()}\n${inner}` : ` ${inner}`}${random() < 0.1 ? '\n' : ''}`;
      })
      .join('\n');
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return '{}';
  return entries
    .map(([k, v]) => {
      const inner = render(v, random, indent + 1, false);
      const block = typeof v === 'object' && v !== null && !inner.startsWith('[') && !inner.startsWith('{');
      return `${pad}${k}:${block ? `${comment()}\n${inner}` : ` ${inner}${comment()}`}`;
    })
    .join('\n');
}
