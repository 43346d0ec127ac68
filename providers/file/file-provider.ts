import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { ConfigError, ProviderSnapshot } from '../../src/config/dynamic-config.js';
import type { Provider } from '../provider.js';
import { mergeFiles, type FileContent } from './merge-files.js';
import { parseDynamicFile, type ParsedFile } from './parse-file.js';
import { CONFIG_FILE, watchFiles, type FileWatch } from './watch-files.js';

export interface FileProviderOptions {
  /** A folder: every .yaml/.yml/.json file in it (and below) is merged. */
  directory?: string;
  /** Or one file. */
  filename?: string;
  watch: boolean;
  /** Coalesce a burst of file events into one re-read (ms). */
  debounceMs?: number;
}

/** What one read of the watched files took in: every file's text, changed or not. */
export interface ReadSize {
  characters: number;
  files: number;
}

/**
 * For a provider watching on the main thread: once a read takes in more than `limit` (either
 * figure), the provider calls `onOver` with what it read, and watches and reads nothing more.
 * Every reload reads every file and merges them all, and parsing blocks the thread it runs in
 * for ~0.15-0.4 ms per KiB, which the main thread must not pay for a big config. Checked after
 * the files are read and before anything is parsed; the read at start parses whatever size
 * (start-up may block) and is checked before the watch begins.
 */
export interface HandOver {
  limit: ReadSize;
  onOver: (read: ReadSize) => void;
}

/** Longer than chokidar's 50 ms per-file change throttle. */
const SETTLE_MS = 75;
/** How long a file that had content must stay empty before we believe it was emptied. */
const EMPTY_CONFIRM_MS = 150;

/**
 * Watches dynamic config files and emits the merged content of all of them on every change.
 * A file that stops parsing keeps its last good content (and an error says why).
 * Files are read with blocking calls: this reads once at start, or watches small files on the
 * main thread (a few reads per rewrite, each well under a millisecond), or runs in the file
 * provider's thread (watch: true, watched-file-provider.ts), where waiting costs nothing; each
 * async call was a round trip through libuv's thread pool (~10 per rewrite, two wake-ups each).
 */
export class FileProvider implements Provider {
  readonly name = 'file';
  private watcher: FileWatch | undefined;
  private timer: NodeJS.Timeout | undefined;
  private settle: NodeJS.Timeout | undefined;
  private confirmTimer: NodeJS.Timeout | undefined;
  private readonly emptySince = new Map<string, number>();
  private readonly lastGood = new Map<string, FileContent>();
  /**
   * The last text read from each file and what it parsed to. Parsing YAML is most of a reload's
   * cost (about 12 ms for 50 routers); an unchanged file — the trailing re-read after every
   * burst, the other files of a folder — is not parsed again.
   */
  private readonly lastRead = new Map<string, { text: string; label: string; parsed: ParsedFile; content: FileContent | undefined }>();
  /** What the last emitted snapshot was made of: re-reading exactly that again emits nothing. */
  private lastEmitted: { contents: FileContent[]; errors: number } | undefined;
  private emit: ((s: ProviderSnapshot) => void) | undefined;
  private log: Logger | undefined;
  private reading: Promise<void> = Promise.resolve();
  private started = false;
  /** stop() was called: a start() still reading sets up no watcher. */
  private stopped = false;
  /** What the last read took in (see HandOver). */
  private lastSize: ReadSize = { characters: 0, files: 0 };
  /** handOver.onOver was called: this provider reads no more. */
  private handedOver = false;

  constructor(
    private readonly options: FileProviderOptions,
    /** Watching in the main thread (watched-file-provider.ts): when to give the watch up to a thread. */
    private readonly handOver?: HandOver,
  ) {}

  async start(emit: (snapshot: ProviderSnapshot) => void, log: Logger): Promise<void> {
    this.emit = emit;
    this.log = log.child({ provider: this.name });
    await this.reload();
    if (!this.options.watch || this.stopped) return;
    // Too big to watch here from the start.
    if (this.handOverIfOver()) return;
    await this.watch();
    // An edit between that read and the watcher being ready raised no event: read once more
    // (an unchanged file costs a stat and a read, no parse, no snapshot).
    this.enqueueReload();
    await this.reading;
  }

  /** The text of every file whose last read parsed (file → text), for seed() in another provider. */
  goodTexts(): Record<string, string> {
    const texts: Record<string, string> = {};
    for (const [file, read] of this.lastRead) if (read.content) texts[file] = read.text;
    return texts;
  }

  /**
   * Takes `texts` (file → text, from goodTexts()) as what was read last, before start(): a file
   * that is broken by then keeps that version, as if this provider had read it itself.
   */
  seed(texts: Readonly<Record<string, string>>): void {
    for (const [file, text] of Object.entries(texts)) {
      const label = displayPath(file);
      const parsed = parseDynamicFile(text, label);
      if (!parsed.ok) continue;
      const content = { label, config: parsed.config, origins: parsed.origins };
      this.lastRead.set(file, { text, label, parsed, content });
      this.lastGood.set(file, content);
    }
  }

  private async watch(): Promise<void> {
    const { directory, filename } = this.options;
    const target = filename !== undefined ? { filename } : { directory: directory! };
    // Kept before it is ready, so that a stop() meanwhile closes it.
    this.watcher = watchFiles(
      target,
      () => this.schedule(),
      (err) => this.log?.error({ err }, 'file watcher error; edits may be missed until it recovers'),
    );
    await this.watcher.ready;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.settle) clearTimeout(this.settle);
    if (this.confirmTimer) clearTimeout(this.confirmTimer);
    this.emit = undefined;
    await this.watcher?.close();
    await this.reading;
  }

  private schedule(): void {
    // chokidar drops a file's 'change' events that come within 50 ms of the previous one and
    // never replays them, so a quick second save could be missed. A trailing re-read after the
    // burst settles catches it; the config watcher skips it when nothing changed.
    if (this.settle) clearTimeout(this.settle);
    this.settle = setTimeout(() => {
      this.settle = undefined;
      this.enqueueReload();
    }, SETTLE_MS);
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.enqueueReload();
    }, this.options.debounceMs ?? 10);
  }

  private enqueueReload(): void {
    // Serialise reads so an older read never lands after a newer one.
    this.reading = this.reading.then(() => this.reload()).catch((err) => this.log?.error({ err }, 'reading dynamic config failed'));
  }

  /** Reads every file, keeps the last good version of broken ones, and emits the merge. */
  private async reload(): Promise<void> {
    if (this.handedOver) return;
    const errors: ConfigError[] = [];
    const files = this.listFiles(errors);
    if (files === undefined) {
      // The folder itself is unreadable (gone mid-deploy?): keep serving what we had.
      for (const e of errors) this.log?.error({ path: e.item }, e.message);
      if (!this.started) this.emit?.({ provider: this.name, config: {}, errors });
      this.started = true;
      return;
    }
    const present = new Set(files);
    const reads: Array<{ file: string; label: string; text: string | undefined }> = [];
    let characters = 0;
    for (const file of files) {
      const label = displayPath(file);
      let text: string | undefined;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        // Deleted between listing and reading: the next event re-reads.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          present.delete(file);
          continue;
        }
        errors.push({ provider: this.name, item: label, field: '', message: `cannot read: ${(err as Error).message}` });
      }
      characters += text?.length ?? 0;
      reads.push({ file, label, text });
    }
    this.lastSize = { characters, files: reads.length };
    // Too much to read and parse in this thread: whoever watches next reads the files anew.
    if (this.started && this.handOverIfOver()) return;
    this.started = true;
    const contents: FileContent[] = [];
    for (const { file, label, text } of reads) {
      if (text === undefined) {
        const kept = this.lastGood.get(file);
        if (kept) contents.push(kept);
        continue;
      }
      if (text.trim() === '' && this.lastGood.has(file) && !this.confirmedEmpty(file)) {
        // Writers that truncate then write (`>`, writeFile) expose an empty file for a moment;
        // emptying a file that had routes is only believed once it stays empty.
        contents.push(this.lastGood.get(file)!);
        continue;
      }
      this.emptySince.delete(file);
      let read = this.lastRead.get(file);
      if (read?.text !== text || read.label !== label) {
        const parsed = parseDynamicFile(text, label);
        read = { text, label, parsed, content: parsed.ok ? { label, config: parsed.config, origins: parsed.origins } : undefined };
        this.lastRead.set(file, read);
      }
      const parsed = read.parsed;
      if (read.content) {
        this.lastGood.set(file, read.content);
        contents.push(read.content);
      } else if (!parsed.ok) {
        const kept = this.lastGood.get(file);
        errors.push({
          ...parsed.error,
          message: `${parsed.error.message}; ${kept ? 'keeping the last good version of this file' : 'the file is ignored until it is fixed'}`,
        });
        if (kept) contents.push(kept);
      }
    }
    for (const file of this.lastGood.keys()) if (!present.has(file)) this.lastGood.delete(file);
    for (const file of this.lastRead.keys()) if (!present.has(file)) this.lastRead.delete(file);
    const last = this.lastEmitted;
    if (errors.length === 0 && last?.errors === 0 && sameContents(last.contents, contents)) return;
    this.lastEmitted = { contents, errors: errors.length };
    const merged = mergeFiles(contents);
    // Errors travel with the snapshot; the config watcher's consumer logs them once.
    this.emit?.({ provider: this.name, config: merged.config, origins: merged.origins, errors: [...errors, ...merged.errors] });
  }

  /** Gives the watch up (see HandOver) when the last read took in more than its limit; true if it did. */
  private handOverIfOver(): boolean {
    const handOver = this.handOver;
    const read = this.lastSize;
    if (!handOver || (read.characters <= handOver.limit.characters && read.files <= handOver.limit.files)) return false;
    this.handedOver = true;
    handOver.onOver(read);
    return true;
  }

  /** True once `file` has been seen empty for EMPTY_CONFIRM_MS; schedules the re-check. */
  private confirmedEmpty(file: string): boolean {
    const since = this.emptySince.get(file);
    const now = Date.now();
    if (since !== undefined && now - since >= EMPTY_CONFIRM_MS) {
      this.emptySince.delete(file);
      return true;
    }
    if (since === undefined) this.emptySince.set(file, now);
    if (!this.confirmTimer && this.emit) {
      this.confirmTimer = setTimeout(() => {
        this.confirmTimer = undefined;
        this.enqueueReload();
      }, EMPTY_CONFIRM_MS - (now - (since ?? now)) + 5);
    }
    return false;
  }

  private listFiles(errors: ConfigError[]): string[] | undefined {
    if (this.options.filename) {
      try {
        statSync(this.options.filename);
        return [this.options.filename];
      } catch {
        errors.push({ provider: this.name, item: displayPath(this.options.filename), field: '', message: 'file not found; waiting for it to appear' });
        return [];
      }
    }
    const dir = this.options.directory!;
    try {
      const entries = readdirSync(dir, { recursive: true, withFileTypes: true });
      return entries
        .filter((e) => e.isFile() && CONFIG_FILE.test(e.name) && !e.name.startsWith('.'))
        .map((e) => path.join(e.parentPath ?? e.path, e.name))
        .filter((p) => !path.relative(dir, p).split(path.sep).some((part) => part.startsWith('.')))
        .sort();
    } catch (err) {
      errors.push({ provider: this.name, item: displayPath(dir), field: '', message: `cannot read the directory: ${(err as Error).message}; keeping the last good config` });
      return undefined;
    }
  }
}

function displayPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel.startsWith('..') || path.isAbsolute(rel) ? p : rel;
}

function sameContents(a: readonly FileContent[], b: readonly FileContent[]): boolean {
  return a.length === b.length && a.every((c, i) => c === b[i]);
}

