import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { stringify } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OriginLookup, ProviderSnapshot } from '../../src/config/dynamic-config.js';
import { formatConfigError } from '../../src/config/dynamic-config.js';
import { validateSnapshots } from '../../src/config/validate.js';
import { runToEnd } from '../../src/time-slices.js';
import { parseDynamicFile } from '../../providers/file/parse-file.js';
import { OriginTable, PatchReceiver, PatchSender, type PatchPart } from '../../providers/file/file-thread-protocol.js';
import { INLINE_LIMIT, threadEntry, WatchedFileProvider } from '../../providers/file/watched-file-provider.js';
import { waitFor } from '../helpers/wait.js';

function bigFile(routers: number): string {
  const lines = ['http:', '  routers:'];
  for (let i = 0; i < routers; i++) lines.push(`    r${i}: { rule: "Host(\`h${i}.test\`)", service: s${i} }`);
  lines.push('  services:');
  for (let i = 0; i < routers; i++) lines.push(`    s${i}: { loadBalancer: { servers: [{ url: "http://127.0.0.1:${1000 + i}" }] } }`);
  return `${lines.join('\n')}\n`;
}

/** Both ends of the thread boundary; `send` crosses it as postMessage does (structured clone), part by part. */
function channel(maxItems?: number) {
  const sender = new PatchSender();
  const receiver = new PatchReceiver('file');
  let lastParts: PatchPart[] = [];
  return {
    send(snapshot: ProviderSnapshot): ProviderSnapshot {
      lastParts = sender.parts(snapshot, maxItems);
      let out: ProviderSnapshot | undefined;
      for (const [i, part] of lastParts.entries()) {
        out = runToEnd(receiver.add(structuredClone(part)));
        expect(out === undefined).toBe(i < lastParts.length - 1);
      }
      return out!;
    },
    get lastParts() {
      return lastParts;
    },
  };
}
const crossed = (snapshot: ProviderSnapshot, maxItems?: number): ProviderSnapshot => channel(maxItems).send(snapshot);

function snapshotOf(text: string): ProviderSnapshot & { origins: Record<string, string> } {
  const parsed = parseDynamicFile(text, 'dyn.yaml');
  if (!parsed.ok) throw new Error(`does not parse: ${text}`);
  return { provider: 'file', config: parsed.config, origins: parsed.origins };
}

function expectSame(back: ProviderSnapshot, expected: ProviderSnapshot & { origins: Record<string, string> }): void {
  expect(back.config).toStrictEqual(expected.config);
  const lookup = back.origins as OriginLookup;
  for (const [p, origin] of Object.entries(expected.origins)) expect(lookup.get(p), p).toBe(origin);
}

describe('file thread protocol', () => {
  const text = [
    'tcp: { routers: {} }',
    'http:',
    '  middlewares: { strip: {} }',
    '  routers:',
    '    __proto__: { rule: "Host(`p.test`)", service: s0 }',
    ...Array.from({ length: 7 }, (_, i) => `    r${i}: { rule: "Host(\`h${i}.test\`)", service: s${i} }`),
    '  services:',
    ...Array.from({ length: 7 }, (_, i) => `    s${i}: { loadBalancer: { servers: [{ url: "http://127.0.0.1:${1000 + i}", weight: ${i} }] } }`),
    '',
  ].join('\n');
  const parsed = snapshotOf(text);
  const snapshot: ProviderSnapshot = {
    provider: 'file',
    config: parsed.config,
    origins: parsed.origins,
    errors: [{ provider: 'file', item: 'other.yaml', field: '', message: 'YAML syntax error' }],
  };

  for (const maxItems of [1000, 3, 1]) {
    it(`gives back the same config, origins and errors (parts of ${maxItems} items)`, () => {
      const back = crossed(snapshot, maxItems);
      expect(back.config).toStrictEqual(snapshot.config);
      expect(Object.keys(back.config.http!.routers!)).toEqual(Object.keys(snapshot.config.http!.routers!));
      // `__proto__` stayed an item, not the object's prototype.
      expect(Object.getPrototypeOf(back.config.http!.routers!)).toBe(Object.prototype);
      expect(Object.hasOwn(back.config.http!.routers!, '__proto__')).toBe(true);
      const lookup = back.origins as OriginLookup;
      for (const [p, origin] of Object.entries(parsed.origins)) expect(lookup.get(p), p).toBe(origin);
      expect(lookup.get('http.routers.nope')).toBeUndefined();
      expect(back.errors).toStrictEqual(snapshot.errors);
    });
  }

  it('validates to the same result, messages and origins included', () => {
    const broken = { ...snapshot, config: structuredClone(snapshot.config) };
    (broken.config.http!.services!['s2'] as { loadBalancer: { servers: Array<{ weight: unknown }> } }).loadBalancer.servers[0]!.weight = 'heavy';
    const here = validateSnapshots([broken], { entryPoints: ['web'] });
    const there = validateSnapshots([crossed(broken, 3)], { entryPoints: ['web'] });
    expect(there.errors.map(formatConfigError)).toEqual(here.errors.map(formatConfigError));
    expect(there.errors.map(formatConfigError).join('\n')).toMatch(/dyn\.yaml:\d+:\d+: service s2@file: loadBalancer\.servers\[0\]\.weight/);
    expect(there.status).toStrictEqual(here.status);
  });

  it('keeps an empty section (`routers:` alone reads as null) and a file without http', () => {
    for (const source of ['http:\n  routers:\n', 'tcp: {}\n']) {
      const p = parseDynamicFile(source, 'x.yaml');
      if (!p.ok) throw new Error(source);
      const s: ProviderSnapshot = { provider: 'file', config: p.config, origins: p.origins };
      const here = validateSnapshots([s], { entryPoints: ['web'] });
      const there = validateSnapshots([crossed(s)], { entryPoints: ['web'] });
      expect(there.errors).toStrictEqual(here.errors);
      expect(there.config).toStrictEqual(here.config);
    }
  });

  it('splits a large file into parts of at most 1,000 items, field origins in one string at the end', () => {
    const parts = new PatchSender().parts(snapshotOf(bigFile(2500)));
    expect(parts).toHaveLength(5);
    for (const part of parts) expect(Object.keys(part.routers).length + Object.keys(part.services).length).toBeLessThanOrEqual(1000);
    expect(parts.map((p) => typeof p.fieldBase)).toEqual(['undefined', 'undefined', 'undefined', 'undefined', 'string']);
    expect(parts[0]!.full).toBe(true);
  });

  it('sends what changed since the last snapshot; the rest stays the very same objects', () => {
    const c = channel();
    const before = snapshotOf(text);
    const first = c.send(before);
    // r1's rule changed, s6 gone, r9 new, tcp changed, and a comment line on top moves every item down.
    const edited = `# moved\n${text.replace('h1.test', 'h1-new.test').replace(/ {4}s6: .*\n/, '').replace('tcp: { routers: {} }', 'tcp: { routers: { x: {} } }')}`.replace('  services:\n', '    r9: { rule: "Host(`h9.test`)", service: s0 }\n  services:\n');
    const after = snapshotOf(edited);
    const second = c.send(after);
    expectSame(second, after);
    const [part] = c.lastParts;
    expect(c.lastParts).toHaveLength(1);
    expect(Object.keys(part!.routers).sort()).toEqual(['r1', 'r9']);
    expect(Object.keys(part!.services)).toEqual([]);
    expect(part!.removed).toEqual({ routers: [], services: ['s6'] });
    expect(part!.rest).toBeDefined();
    expect(part!.full).toBeUndefined();
    // Unchanged items are the objects of the last snapshot: validation finds them by identity.
    expect(second.config.http!.routers!['r2']).toBe(first.config.http!.routers!['r2']);
    expect(second.config.http!.services!['s0']).toBe(first.config.http!.services!['s0']);
    // The first snapshot is left as it was (it may still be in validation).
    expectSame(first, before);
    // Nothing changed: nothing but the (empty) patch.
    const third = c.send(snapshotOf(edited));
    expect(c.lastParts[0]).toMatchObject({ routers: {}, services: {}, originKeys: [], last: true });
    expect(c.lastParts[0]!.fieldBase).toBeUndefined();
    expect(c.lastParts[0]!.fieldDelta).toBeUndefined();
    expectSame(third, after);
  });

  it('sends field origins that moved as a delta, and all of them again after 16 deltas', () => {
    const c = channel();
    const big = bigFile(200);
    c.send(snapshotOf(big));
    for (let i = 1; i <= 17; i++) {
      // A longer rule moves the column of its `service` field: one field origin changes.
      const edited = snapshotOf(big.replace('h7.test', `h7-${'x'.repeat(i)}.test`));
      const back = c.send(edited);
      const [part] = c.lastParts;
      if (i <= 16) {
        expect(part!.fieldBase, `edit ${i}`).toBeUndefined();
        expect(JSON.parse(part!.fieldDelta!)).toEqual([['http.routers.r7.service'], [edited.origins['http.routers.r7.service']], []]);
      } else {
        expect(part!.fieldDelta).toBeUndefined();
        expect(part!.fieldBase).toBeDefined();
      }
      expectSame(back, edited);
    }
  });

  it('drops a field origin a delta removes, and keeps the others from the base', () => {
    const c = channel();
    const big = bigFile(200);
    c.send(snapshotOf(big));
    // r9 loses its service (and the field's origin); everything else stays where it was.
    const edited = snapshotOf(big.replace('r9: { rule: "Host(`h9.test`)", service: s9 }', 'r9: { rule: "Host(`h9.test`)" }'));
    const back = c.send(edited);
    expect(JSON.parse(c.lastParts[0]!.fieldDelta!)).toEqual([[], [], ['http.routers.r9.service']]);
    const lookup = back.origins as OriginLookup;
    expect(lookup.get('http.routers.r9.service')).toBeUndefined();
    expect(lookup.get('http.routers.r8.service')).toBe(edited.origins['http.routers.r8.service']);
    expectSame(back, edited);
  });

  it('patches in several parts too, and a thread started again sends everything', () => {
    const c = channel(2);
    c.send(snapshotOf(text));
    const after = snapshotOf(text.replace(/weight: (\d)/g, 'weight: 1$1'));
    expectSame(c.send(after), after);
    expect(c.lastParts.length).toBeGreaterThan(1);
    // A new thread (new sender) against the same receiver: its first patch is full.
    const receiver = new PatchReceiver('file');
    for (const part of new PatchSender().parts(after, 2)) runToEnd(receiver.add(structuredClone(part)));
    const fresh = new PatchSender().parts(snapshotOf('http: {}\n'));
    expect(fresh[0]!.full).toBe(true);
    const out = runToEnd(receiver.add(structuredClone(fresh[0]!)))!;
    expect(out.config).toStrictEqual({ http: { routers: {}, services: {} } });
  });
});

/** Tests of the thread itself: every file goes to it, however small. */
const IN_THREAD = { inlineLimit: null };

describe('watched file provider', () => {
  let dir = '';
  let provider: WatchedFileProvider | undefined;
  let latest: ProviderSnapshot | undefined;
  let count = 0;
  const lines: Array<Record<string, unknown>> = [];
  const log = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    }),
  );
  const validated = () => validateSnapshots(latest ? [latest] : [], { entryPoints: ['web'] });
  const start = async (p: WatchedFileProvider): Promise<void> => {
    provider = p;
    await p.start((s) => {
      latest = s;
      count++;
    }, log);
  };

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sy-file-thread-'));
    latest = undefined;
    count = 0;
    lines.length = 0;
  });
  afterEach(async () => {
    await provider?.stop();
    provider = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('follows a single file replaced by rename, with each item\'s line', async () => {
    const file = path.join(dir, 'dynamic.yaml');
    const app = (port: number) => stringify({ http: { routers: { app: { rule: 'Host(`a.test`)', service: 'app' } }, services: { app: { loadBalancer: { servers: [{ url: `http://127.0.0.1:${port}` }] } } } } });
    await writeFile(file, app(1));
    await start(new WatchedFileProvider({ filename: file, watch: true, debounceMs: 5 }, IN_THREAD));
    expect(validated().config.http.services.get('app@file')!.loadBalancer.servers[0]!.url).toBe('http://127.0.0.1:1');
    expect(validated().status.routers.get('app@file')!.origin).toBe(`${path.relative(process.cwd(), file).startsWith('..') ? file : path.relative(process.cwd(), file)}:3:5`);
    await writeFile(`${file}.tmp`, app(2));
    await rename(`${file}.tmp`, file);
    await waitFor(() => validated().config.http.services.get('app@file')?.loadBalancer.servers[0]?.url === 'http://127.0.0.1:2', 'the renamed-in file');
  });

  it('delivers a 3,000-router file whole from the thread, in parts', async () => {
    const file = path.join(dir, 'big.yaml');
    await writeFile(file, bigFile(3000));
    // Over the inline limit from the start: the thread watches.
    await start(new WatchedFileProvider({ filename: file, watch: true, debounceMs: 5 }));
    // The first snapshot is start()'s own read; the second is the thread's, in 6 parts.
    expect(count).toBe(1);
    await waitFor(() => count === 2, "the thread's snapshot");
    expect(latest!.origins).toBeInstanceOf(OriginTable);
    const v = validated();
    expect(v.errors).toEqual([]);
    expect([...v.config.http.routers.keys()]).toHaveLength(3000);
    expect([...v.config.http.services.keys()]).toHaveLength(3000);
    expect(v.status.services.get('s2999@file')!.origin).toMatch(/big\.yaml:6003:5$/);
  });

  it('keeps the version read at start when the file is broken before the thread reads it', async () => {
    const file = path.join(dir, 'dynamic.yaml');
    await writeFile(file, stringify({ http: { services: { app: { loadBalancer: { servers: [{ url: 'http://127.0.0.1:1' }] } } } } }));
    const p = new WatchedFileProvider({ filename: file, watch: true, debounceMs: 5 }, IN_THREAD);
    provider = p;
    // Broken right after start()'s own read, before the thread can have read it.
    await p.start((s) => {
      latest = s;
      count++;
    }, log);
    await writeFile(file, 'http: [');
    await waitFor(() => latest?.errors?.some((e) => /keeping the last good version/.test(e.message)), 'the thread to report the broken file');
    expect(validated().config.http.services.get('app@file')!.loadBalancer.servers[0]!.url).toBe('http://127.0.0.1:1');
  });

  it("writes the thread's log records through the main logger, fields included", async () => {
    await start(new WatchedFileProvider({ directory: path.join(dir, 'missing'), watch: true, debounceMs: 5 }, IN_THREAD));
    const logged = () => lines.filter((l) => String(l['msg']).startsWith('cannot read the directory'));
    // Once from start()'s own read, then from each of the thread's reads (first, and once watching).
    expect(logged()).toHaveLength(1);
    await waitFor(() => logged().length >= 3, "the thread's log lines");
    for (const line of logged()) expect(line).toMatchObject({ level: 50, provider: 'file', path: expect.stringContaining('missing') });
    expect(latest?.errors?.[0]?.message).toMatch(/cannot read the directory/);
  });

  it('sends nothing after stop() and lets the thread end', async () => {
    const file = path.join(dir, 'dynamic.yaml');
    await writeFile(file, 'http: {}\n');
    await start(new WatchedFileProvider({ filename: file, watch: true, debounceMs: 5 }, IN_THREAD));
    await waitFor(() => count === 2, "the thread's first snapshot");
    await provider!.stop();
    await writeFile(file, stringify({ http: { services: { app: { loadBalancer: { servers: [] } } } } }));
    // A watcher still running would deliver within ~100 ms (debounce + settle); give it 400.
    await new Promise((r) => setTimeout(r, 400));
    expect(count).toBe(2);
  });

  it('starts no thread when stop() comes while start() still reads', async () => {
    // A missing folder: each read logs an error, so a thread started after stop() would show.
    const p = new WatchedFileProvider({ directory: path.join(dir, 'missing'), watch: true, debounceMs: 5 }, IN_THREAD);
    provider = p;
    const starting = p.start(() => count++, log);
    await p.stop();
    await starting;
    const logged = () => lines.filter((l) => String(l['msg']).startsWith('cannot read the directory')).length;
    expect(logged()).toBe(1);
    // A thread reads (and logs) within ~100 ms of starting; give it 500.
    await new Promise((r) => setTimeout(r, 500));
    expect(logged()).toBe(1);
  });

  it('watches a small file on the main thread: edits follow, with plain origins', async () => {
    const file = path.join(dir, 'dynamic.yaml');
    expect(bigFile(51).length).toBeLessThan(INLINE_LIMIT.characters);
    await writeFile(file, bigFile(50));
    await start(new WatchedFileProvider({ filename: file, watch: true, debounceMs: 5 }));
    await writeFile(`${file}.tmp`, bigFile(51));
    await rename(`${file}.tmp`, file);
    await waitFor(() => validated().config.http.routers.size === 51, 'the edit');
    // Parsed here: the thread's snapshots carry an OriginTable instead.
    expect(latest!.origins).not.toBeInstanceOf(OriginTable);
    expect(validated().status.routers.get('r50@file')!.origin).toMatch(/dynamic\.yaml:53:5$/);
  });

  it('moves the watch to the thread once a rewrite has more to parse than the limit, and follows edits there', async () => {
    const file = path.join(dir, 'dynamic.yaml');
    expect(bigFile(400).length).toBeGreaterThan(INLINE_LIMIT.characters);
    await writeFile(file, bigFile(50));
    await start(new WatchedFileProvider({ filename: file, watch: true, debounceMs: 5 }));
    await writeFile(file, bigFile(400));
    await waitFor(() => validated().config.http.routers.size === 400, 'the big version');
    expect(latest!.origins).toBeInstanceOf(OriginTable);
    expect(lines.filter((l) => String(l['msg']).includes('watching and parsing them in a thread of their own'))).toHaveLength(1);
    await writeFile(file, bigFile(401));
    await waitFor(() => validated().config.http.routers.size === 401, 'an edit watched by the thread');
    expect(validated().status.services.get('s400@file')!.origin).toMatch(/dynamic\.yaml:805:5$/);
  });

  it('keeps the last good version when the rewrite that moves the watch to the thread is broken', async () => {
    const file = path.join(dir, 'dynamic.yaml');
    await writeFile(file, bigFile(50));
    await start(new WatchedFileProvider({ filename: file, watch: true, debounceMs: 5 }));
    // An unclosed list, then more than the limit of comment: too big to parse here, and broken.
    await writeFile(file, `http: [\n${'# filler\n'.repeat(INLINE_LIMIT.characters / 8)}`);
    await waitFor(() => latest?.errors?.some((e) => /keeping the last good version/.test(e.message)), 'the thread to report the broken file');
    expect(latest!.origins).toBeInstanceOf(OriginTable);
    expect(validated().config.http.routers.size).toBe(50);
  });

  it('moves a folder to the thread once it holds more files than the limit, however small they are', async () => {
    const folder = path.join(dir, 'conf');
    await mkdir(folder);
    const one = (i: number) => writeFile(path.join(folder, `s${String(i).padStart(3, '0')}.yaml`), `http: { services: { s${i}: { loadBalancer: { servers: [{ url: "http://127.0.0.1:${2000 + i}" }] } } } }\n`);
    for (let i = 0; i < 3; i++) await one(i);
    await start(new WatchedFileProvider({ directory: folder, watch: true, debounceMs: 5 }));
    expect(latest!.origins).not.toBeInstanceOf(OriginTable);
    for (let i = 3; i <= INLINE_LIMIT.files; i++) await one(i);
    await waitFor(() => validated().config.http.services.size === INLINE_LIMIT.files + 1, 'every file, from the thread');
    expect(latest!.origins).toBeInstanceOf(OriginTable);
    expect(lines.filter((l) => String(l['msg']).includes('watching and parsing them in a thread of their own'))).toEqual([
      expect.objectContaining({ files: INLINE_LIMIT.files + 1 }),
    ]);
  });

  it('sends nothing after stop() while watching on the main thread', async () => {
    const file = path.join(dir, 'dynamic.yaml');
    await writeFile(file, 'http: {}\n');
    await start(new WatchedFileProvider({ filename: file, watch: true, debounceMs: 5 }));
    const seen = count;
    await provider!.stop();
    await writeFile(file, bigFile(3));
    // A watcher still running would deliver within ~100 ms (debounce + settle); give it 400.
    await new Promise((r) => setTimeout(r, 400));
    expect(count).toBe(seen);
  });

  it("finds the thread's script beside the bundle, and says what to do when it is missing", async () => {
    const bundle = pathToFileURL(path.join(dir, 'switchyard.cjs')).href;
    expect(() => threadEntry(bundle)).toThrow(/file-thread\.cjs not found: .*npm run build/);
    await writeFile(path.join(dir, 'file-thread.cjs'), '');
    expect(threadEntry(bundle)).toBe(path.join(dir, 'file-thread.cjs'));
  });

  it('starts a thread that died again, and it reads the file anew', async () => {
    // A stand-in thread script: sends one snapshot part, then exits with 1.
    const script = path.join(dir, 'dies.mjs');
    await writeFile(
      script,
      `import { parentPort } from 'node:worker_threads';
parentPort.postMessage({ type: 'part', rest: {}, routers: {}, services: { ['s' + Date.now()]: {} }, originKeys: [], originValues: [], last: true });
setTimeout(() => process.exit(1), 20);
`,
    );
    await start(new WatchedFileProvider({ filename: path.join(dir, 'x.yaml'), watch: true }, { entry: script, inlineLimit: null }));
    // start()'s own read, then one snapshot from each thread.
    await waitFor(() => count >= 3, "the second thread's snapshot", 5000);
    expect(lines.some((l) => String(l['msg']).includes('file provider thread exited; starting it again'))).toBe(true);
  });
});
