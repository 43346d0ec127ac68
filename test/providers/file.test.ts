import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { stringify } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProviderSnapshot } from '../../src/config/dynamic-config.js';
import { formatConfigError } from '../../src/config/dynamic-config.js';
import { validateSnapshots } from '../../src/config/validate.js';
import { FileProvider } from '../../providers/file/file-provider.js';
import { WatchedFileProvider } from '../../providers/file/watched-file-provider.js';
import type { Provider } from '../../providers/provider.js';
import { waitFor } from '../helpers/wait.js';
import { providerContract, type ProviderHarness } from './contract.js';

function serviceFile(name: string, servers: Array<{ url: string; weight?: unknown }>): string {
  return stringify({
    http: {
      routers: { [name]: { rule: `PathPrefix(\`/${name}\`)`, service: name } },
      services: { [name]: { loadBalancer: { servers } } },
    },
  });
}

class FileHarness implements ProviderHarness {
  root = '';
  dir = '';
  /**
   * `plain`: a FileProvider in this thread; `watched`: what `watch: true` runs under switchyard
   * (create-providers.ts; these small files are watched on the main thread); `thread`: the same,
   * with every file handed to the file provider's thread.
   */
  constructor(private readonly kind: 'plain' | 'watched' | 'thread' = 'plain') {}
  async setup(): Promise<void> {
    this.root = await mkdtemp(path.join(tmpdir(), 'sy-file-'));
    this.dir = path.join(this.root, 'dynamic');
    await mkdir(this.dir);
  }
  async teardown(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
  createProvider(): FileProvider | WatchedFileProvider {
    const options = { directory: this.dir, watch: true, debounceMs: 5 };
    if (this.kind === 'plain') return new FileProvider(options);
    return new WatchedFileProvider(options, this.kind === 'thread' ? { inlineLimit: null } : {});
  }
  async putService(name: string, urls: string[]): Promise<void> {
    await writeFile(path.join(this.dir, `${name}.yaml`), serviceFile(name, urls.map((url) => ({ url }))));
  }
  async deleteService(name: string): Promise<void> {
    await rm(path.join(this.dir, `${name}.yaml`));
  }
  async putBadWeight(name: string): Promise<void> {
    await writeFile(path.join(this.dir, `${name}.yaml`), serviceFile(name, [{ url: 'http://127.0.0.1:9001', weight: 'heavy' }]));
  }
  readonly badWeightOrigin = /bad\.yaml:\d+:\d+$/;
  async restartSource(): Promise<void> {
    // A deploy that swaps the whole folder: move it away and put a copy back.
    const aside = path.join(this.root, 'aside');
    await rename(this.dir, aside);
    await rename(aside, this.dir);
  }
  async restartSourceWith(services: Record<string, string[]>): Promise<void> {
    // A deploy that replaces the folder with a new one holding other files.
    const next = path.join(this.root, 'next');
    await mkdir(next);
    for (const [name, urls] of Object.entries(services)) {
      await writeFile(path.join(next, `${name}.yaml`), serviceFile(name, urls.map((url) => ({ url }))));
    }
    await rm(this.dir, { recursive: true });
    await rename(next, this.dir);
  }
}

// Files cannot expire and have no key layout: the ttl and kvLayout cases do not apply.
providerContract('file', () => new FileHarness(), { ttl: false, kvLayout: false });
providerContract('file, watched (on the main thread while small)', () => new FileHarness('watched'), { ttl: false, kvLayout: false });
providerContract('file, in its thread', () => new FileHarness('thread'), { ttl: false, kvLayout: false });

describe('file provider', () => {
  const h = new FileHarness();
  let provider: Provider | undefined;
  let latest: ProviderSnapshot | undefined;
  const validated = () => validateSnapshots(latest ? [latest] : [], { entryPoints: ['web'] });
  const start = async (p: Provider): Promise<void> => {
    provider = p;
    await p.start((s) => (latest = s), pino({ level: 'silent' }));
  };

  beforeEach(async () => {
    await h.setup();
    latest = undefined;
  });
  afterEach(async () => {
    await provider?.stop();
    await h.teardown();
  });

  it('merges every .yaml/.yml/.json file, recursively, and ignores others and hidden files', async () => {
    await writeFile(path.join(h.dir, 'a.yaml'), serviceFile('a', [{ url: 'http://127.0.0.1:1' }]));
    await mkdir(path.join(h.dir, 'sub'));
    await writeFile(path.join(h.dir, 'sub', 'b.json'), JSON.stringify({ http: { services: { b: { loadBalancer: { servers: [] } } } } }));
    await writeFile(path.join(h.dir, 'c.yml'), serviceFile('c', []));
    await writeFile(path.join(h.dir, 'notes.txt'), 'http: [');
    await writeFile(path.join(h.dir, '.d.yaml.swp'), 'garbage: [');
    await writeFile(path.join(h.dir, '.hidden.yaml'), 'garbage: [');
    await start(h.createProvider());
    expect(validated().errors).toEqual([]);
    expect([...validated().config.http.services.keys()].sort()).toEqual(['a@file', 'b@file', 'c@file']);
  });

  it('keeps the last good version of a file that stops parsing, and says where it broke', async () => {
    await h.putService('app', ['http://127.0.0.1:9001']);
    await start(h.createProvider());
    await writeFile(path.join(h.dir, 'app.yaml'), 'http:\n  services:\n    app: [\n');
    await waitFor(() => (latest?.errors?.length ?? 0) > 0, 'the syntax error');
    const err = latest!.errors![0]!;
    expect(formatConfigError(err)).toMatch(/app\.yaml:\d+:\d+: .*YAML syntax error.*keeping the last good version/);
    expect(validated().config.http.services.get('app@file')!.loadBalancer.servers).toEqual([{ url: 'http://127.0.0.1:9001', weight: 1 }]);
    await h.putService('app', ['http://127.0.0.1:9002']);
    await waitFor(() => validated().config.http.services.get('app@file')?.loadBalancer.servers[0]?.url === 'http://127.0.0.1:9002', 'the fixed file');
    expect(latest!.errors).toEqual([]);
  });

  it.each([
    ['- a list\n', /expected a mapping at the top level/],
    ['http: 3\n', /http must be a mapping/],
    ['http:\n  routers: [a]\n', /http\.routers must be a mapping/],
  ])('rejects a file shaped %j as a whole', async (text, message) => {
    await writeFile(path.join(h.dir, 'x.yaml'), text);
    await start(h.createProvider());
    expect(latest!.errors!.map(formatConfigError).join('\n')).toMatch(message);
  });

  it('points item errors at the file and line', async () => {
    await writeFile(path.join(h.dir, 'app.yaml'), serviceFile('app', [{ url: 'http://127.0.0.1:1' }, { url: 'nope' }]));
    await start(h.createProvider());
    const text = validated().errors.map(formatConfigError);
    expect(text).toEqual([
      expect.stringMatching(/app\.yaml:\d+:\d+: service app@file: loadBalancer\.servers\[1\]\.url: expected an absolute URL/),
      expect.stringMatching(/app\.yaml:\d+:\d+: router app@file: service: service app@file is disabled because of its own errors/),
    ]);
    const line = Number(/app\.yaml:(\d+):/.exec(text[0]!)![1]);
    const fileLines = serviceFile('app', [{ url: 'http://127.0.0.1:1' }, { url: 'nope' }]).split('\n');
    expect(fileLines[line - 1]).toContain('nope');
  });

  it('keeps the first definition of a name defined in two files and reports both places', async () => {
    await writeFile(path.join(h.dir, 'a.yaml'), serviceFile('app', [{ url: 'http://127.0.0.1:1' }]));
    await writeFile(path.join(h.dir, 'b.yaml'), serviceFile('app', [{ url: 'http://127.0.0.1:2' }]));
    await start(h.createProvider());
    expect(validated().config.http.services.get('app@file')!.loadBalancer.servers[0]!.url).toBe('http://127.0.0.1:1');
    const text = validated().errors.map(formatConfigError).join('\n');
    expect(text).toMatch(/service app@file: defined twice, in .*a\.yaml:\d+:\d+ and .*b\.yaml:\d+:\d+/);
  });

  it('watches a single file, also when an editor replaces it by rename', async () => {
    const file = path.join(h.dir, 'only.yaml');
    await writeFile(file, serviceFile('app', [{ url: 'http://127.0.0.1:1' }]));
    await writeFile(path.join(h.dir, 'other.yaml'), serviceFile('other', []));
    await start(new FileProvider({ filename: file, watch: true, debounceMs: 5 }));
    expect([...validated().config.http.services.keys()]).toEqual(['app@file']);
    const tmp = path.join(h.dir, '.only.yaml.tmp');
    await writeFile(tmp, serviceFile('app', [{ url: 'http://127.0.0.1:2' }]));
    await rename(tmp, file);
    await waitFor(() => validated().config.http.services.get('app@file')?.loadBalancer.servers[0]?.url === 'http://127.0.0.1:2', 'the renamed-in file');
  });

  /** Writes a one-service file naming port `port`; waits until validation serves that port. */
  const put = (file: string, port: number): Promise<void> => writeFile(file, serviceFile('app', [{ url: `http://127.0.0.1:${port}` }]));
  const served = (port: number, what: string): Promise<unknown> =>
    waitFor(() => validated().config.http.services.get('app@file')?.loadBalancer.servers[0]?.url === `http://127.0.0.1:${port}`, what);

  it('follows a single file deleted and re-created, and its folder re-created or replaced', async () => {
    const file = path.join(h.dir, 'only.yaml');
    await put(file, 1);
    await start(new FileProvider({ filename: file, watch: true, debounceMs: 5 }));
    await served(1, 'the first read');

    await rm(file);
    await waitFor(() => latest?.errors?.some((e) => /file not found/.test(e.message)) ?? false, 'the deleted file reported');
    await put(file, 2);
    await served(2, 'the file re-created');

    await rm(h.dir, { recursive: true });
    await mkdir(h.dir);
    // An empty folder first, the file later: the file's watch comes back with its folder.
    await waitFor(() => latest?.errors?.some((e) => /file not found/.test(e.message)) ?? false, 'the missing file reported');
    await put(file, 3);
    await served(3, 'the file in a re-created folder');
    await put(file, 4);
    await served(4, 'an edit in the re-created folder');

    const next = path.join(h.root, 'next');
    await mkdir(next);
    await put(path.join(next, 'only.yaml'), 5);
    await rm(h.dir, { recursive: true });
    await rename(next, h.dir);
    await served(5, 'the file in a folder renamed into place');
    await put(file, 6);
    await served(6, 'an edit in the renamed-in folder');
  });

  it('follows its folder removed and made again at once, every time (rm -rf, mkdir, write), one file or the folder watched', async () => {
    // chokidar lists a folder's entries by name: a folder gone and back before the parent's next
    // listing raised no addDir, and the file's watch stayed on the old folder (1 time in 6 under load).
    const file = path.join(h.dir, 'only.yaml');
    await put(file, 1);
    await start(new FileProvider({ filename: file, watch: true, debounceMs: 5 }));
    await served(1, 'the first read');
    for (let round = 0; round < 12; round++) {
      // A file deleted and re-created first: its watch on the name then watches the folder too.
      await rm(file);
      await put(file, 100 + round);
      await served(100 + round, `round ${round}: the file re-created`);
      await rm(h.dir, { recursive: true });
      await mkdir(h.dir);
      await put(file, 200 + round);
      await served(200 + round, `round ${round}: the file in the folder made again`);
    }
    await provider!.stop();
    provider = undefined;

    // The same with the folder watched (`directory:`): its watcher is the one made again.
    await start(new FileProvider({ directory: h.dir, watch: true, debounceMs: 5 }));
    await served(211, 'the folder read');
    for (let round = 0; round < 12; round++) {
      await rm(h.dir, { recursive: true });
      await mkdir(h.dir);
      await put(file, 300 + round);
      await served(300 + round, `round ${round}: the file in the watched folder made again`);
    }
  });

  it('follows a file mounted from a Kubernetes ConfigMap through its updates', async () => {
    // The mount: `only.yaml -> ..data/only.yaml`, `..data -> ..<timestamp>/`. An update makes a
    // new timestamped folder, renames a new `..data` link over the old one, removes the old folder.
    let generation = 0;
    const publish = async (port: number): Promise<void> => {
      const folder = path.join(h.dir, `..2026_12_02_${++generation}`);
      await mkdir(folder);
      await put(path.join(folder, 'only.yaml'), port);
      await symlink(path.basename(folder), path.join(h.dir, '..data_tmp'));
      await rename(path.join(h.dir, '..data_tmp'), path.join(h.dir, '..data'));
      if (generation > 1) await rm(path.join(h.dir, `..2026_12_02_${generation - 1}`), { recursive: true });
    };
    const file = path.join(h.dir, 'only.yaml');
    await publish(1);
    await symlink('..data/only.yaml', file);
    await start(new FileProvider({ filename: file, watch: true, debounceMs: 5 }));
    await served(1, 'the mounted file');
    for (const port of [2, 3, 4]) {
      await publish(port);
      await served(port, `ConfigMap update ${port}`);
    }
  });

  it('keeps the last config when the folder disappears', async () => {
    await h.putService('app', ['http://127.0.0.1:9001']);
    await start(h.createProvider());
    await rm(h.dir, { recursive: true });
    // Provoke a re-read even if the watcher reports the removal late.
    await waitFor(async () => {
      await writeFile(path.join(h.root, 'poke'), String(Date.now()));
      return true;
    }, 'poke');
    expect(validated().config.http.services.get('app@file')).toBeDefined();
  });

  /** Starts a provider on the harness folder; every snapshot it emits is kept, in order. */
  async function startRecording(): Promise<ProviderSnapshot[]> {
    const seen: ProviderSnapshot[] = [];
    provider = h.createProvider();
    await provider.start((s) => {
      latest = s;
      seen.push(s);
    }, pino({ level: 'silent' }));
    return seen;
  }

  it('ends on the last of several saves in quick succession, one file or a folder', async () => {
    // chokidar drops a file's 'change' that comes within 50 ms of its last one and never sends
    // it later: saves 10 ms apart raise one event, and the read it starts sees an early version.
    const file = path.join(h.dir, 'only.yaml');
    await put(file, 1);
    await start(new FileProvider({ filename: file, watch: true, debounceMs: 5 }));
    await served(1, 'the first version');
    for (const port of [2, 3, 4, 5]) {
      await put(file, port);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await served(5, 'the last of four quick saves of one watched file');
    await provider!.stop();
    provider = undefined;

    await start(new FileProvider({ directory: h.dir, watch: true, debounceMs: 5 }));
    for (const port of [6, 7, 8, 9]) {
      await put(file, port);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await served(9, 'the last of four quick saves in a watched folder');
  });

  it('rides out a truncate-then-write save, but believes a file that stays empty', async () => {
    await h.putService('app', ['http://127.0.0.1:9001']);
    const seen = await startRecording();
    await writeFile(path.join(h.dir, 'app.yaml'), '');
    await waitFor(() => validated().config.http.services.get('app@file') === undefined, 'the emptied file to be believed');
    // While the emptiness was fresh, no snapshot went without the last good content: the
    // first one without the service is the last one, the file believed empty.
    const hasApp = (snapshot: ProviderSnapshot): boolean => validateSnapshots([snapshot], { entryPoints: ['web'] }).config.http.services.get('app@file') !== undefined;
    expect(seen.findIndex((snapshot) => !hasApp(snapshot))).toBe(seen.length - 1);
    expect(seen.length).toBeGreaterThanOrEqual(2);
  });

  it('parses only the files whose text changed: the others keep their objects', async () => {
    await h.putService('a', ['http://127.0.0.1:9001']);
    await h.putService('b', ['http://127.0.0.1:9002']);
    const seen = await startRecording();
    const before = seen.at(-1)!.config.http!.services!;
    // a.yaml rewritten with the same text, b.yaml changed: one parse, and a's item is the same object.
    await h.putService('a', ['http://127.0.0.1:9001']);
    await h.putService('b', ['http://127.0.0.1:9003']);
    await waitFor(() => validated().config.http.services.get('b@file')?.loadBalancer.servers[0]?.url === 'http://127.0.0.1:9003', 'the change to b');
    const after = seen.at(-1)!.config.http!.services!;
    expect(after['a']).toBe(before['a']);
    expect(after['b']).not.toBe(before['b']);
  });

  it('keeps watching after the folder is deleted and created again', async () => {
    await h.putService('app', ['http://127.0.0.1:9001']);
    await start(h.createProvider());
    await rm(h.dir, { recursive: true });
    await mkdir(h.dir);
    await h.putService('app', ['http://127.0.0.1:9002']);
    await waitFor(() => validated().config.http.services.get('app@file')?.loadBalancer.servers[0]?.url === 'http://127.0.0.1:9002', 'the new folder\'s file');
    // Several edits later, still followed (the watcher is on the new folder, not the old inode).
    for (const port of [9003, 9004, 9005]) {
      await h.putService('app', [`http://127.0.0.1:${port}`]);
      await waitFor(() => validated().config.http.services.get('app@file')?.loadBalancer.servers[0]?.url === `http://127.0.0.1:${port}`, `edit ${port}`);
    }
  });

  it('does not watch when watch is false', async () => {
    await h.putService('app', ['http://127.0.0.1:9001']);
    const snapshots: ProviderSnapshot[] = [];
    provider = new FileProvider({ directory: h.dir, watch: false });
    await provider.start((s) => snapshots.push(s), pino({ level: 'silent' }));
    expect(snapshots).toHaveLength(1);
  });
});
