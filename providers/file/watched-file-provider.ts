import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { ProviderSnapshot } from '../../src/config/dynamic-config.js';
import { runInSlices } from '../../src/time-slices.js';
import type { Provider } from '../provider.js';
import { FileProvider, type FileProviderOptions, type ReadSize } from './file-provider.js';
import { PatchReceiver, type FileThreadData, type FromFileThread, type ToFileThread } from './file-thread-protocol.js';

/**
 * A thread that died (a bug) is started again after RESTART_MS, doubled for each death in a row
 * up to MAX_RESTART_MS; one that lived STABLE_MS resets it. The last good config keeps serving.
 */
const RESTART_MS = 1000;
const MAX_RESTART_MS = 30_000;
const STABLE_MS = 60_000;
/** stop() waits this long for the thread to close its watcher before terminating it. */
const STOP_TIMEOUT_MS = 5000;

/**
 * What the watched files may hold in all to be watched and parsed on the main thread; past
 * either figure they are handed to the file provider's thread. Every reload reads every file,
 * merges them and parses the changed ones: at ~0.15-0.4 ms per KiB, 32 KiB (a 50-router file
 * is ~11 KiB; ~250 routers) blocks for ~5-13 ms, inside the 20 ms the event loop may be held;
 * 64 files cost ~1-2 ms of reads.
 */
export const INLINE_LIMIT: ReadSize = Object.freeze({ characters: 32 * 1024, files: 64 });

export interface WatchedFileProviderOptions {
  /** The thread's script; by default the one built next to this module (see threadEntry). */
  entry?: string;
  /** See INLINE_LIMIT; null = always in the thread. */
  inlineLimit?: ReadSize | null;
}

/**
 * The file provider for `watch: true`. The files are read on the main thread at start (start-up
 * does not wait ~70 ms for a thread). Then:
 * - while the watched files stay within INLINE_LIMIT, the same FileProvider watches and
 *   parses them on the main thread. Under load this costs less than a thread: a thread
 *   woken 10 times a second on the other CPU pushes the load generator and the backends onto
 *   the main thread's CPU (its preemptions went from ~2,000-3,600/s to ~500-1,400/s, and the
 *   10/s reload storm from 0.74-0.92x (mean 0.85) to 0.89-1.03x (mean 0.95) of steady
 *   throughput in four alternated series; bench/RESULTS.md, "Reload storm: small files watched
 *   on the main thread");
 * - once a read takes in more (the one at start included), the watch moves to a worker
 *   thread (file-thread.ts) for good, so chokidar, reading and YAML parsing — ~300 ms in one
 *   piece for a 10,000-router file — never hold up requests. The thread gets the last good
 *   texts (seed) and reads the files anew once it watches, so no edit is missed and a file
 *   broken meanwhile keeps its good version.
 * Snapshots from the thread arrive as patches, in parts (file-thread-protocol.ts), and leave as
 * the in-process provider's would, but with unchanged items as the same objects as in the last
 * snapshot (the in-process provider parses a changed file anew) and origins as an OriginTable.
 */
export class WatchedFileProvider implements Provider {
  readonly name = 'file';
  private worker: Worker | undefined;
  /** The provider watching on the main thread, until the watch moves to the thread. */
  private inline: FileProvider | undefined;
  private emit: ((snapshot: ProviderSnapshot) => void) | undefined;
  private log: Logger | undefined;
  private seed: Record<string, string> = {};
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private restartMs = RESTART_MS;
  private readonly entry: string;
  private readonly inlineLimit: ReadSize | null;

  constructor(
    private readonly options: FileProviderOptions,
    { entry = threadEntry(), inlineLimit = INLINE_LIMIT }: WatchedFileProviderOptions = {},
  ) {
    this.entry = entry;
    this.inlineLimit = inlineLimit;
  }

  async start(emit: (snapshot: ProviderSnapshot) => void, log: Logger): Promise<void> {
    this.emit = emit;
    this.log = log;
    const limit = this.inlineLimit;
    if (limit === null) {
      const first = new FileProvider({ ...this.options, watch: false });
      await first.start(emit, log);
      this.toThread(first);
      return;
    }
    const inline = new FileProvider({ ...this.options, watch: true }, { limit, onOver: (read) => this.toThread(inline, read) });
    this.inline = inline;
    await inline.start(emit, log);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.emit = undefined;
    const inline = this.inline;
    this.inline = undefined;
    await inline?.stop();
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ type: 'stop' } satisfies ToFileThread);
    const timer = setTimeout(() => void worker.terminate(), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  /**
   * Moves the watch from `from` (a provider on this thread) to the file provider's thread,
   * seeded with its last good texts; `read`: what made it move (see HandOver).
   */
  private toThread(from: FileProvider, read?: ReadSize): void {
    if (from === this.inline) {
      this.inline = undefined;
      // Not awaited: this may run inside one of `from`'s reloads, which its stop() waits for.
      from.stop().catch((err: unknown) => this.log?.error({ err, provider: this.name }, 'stopping the file watch on the main thread failed'));
      const limit = this.inlineLimit!;
      this.log?.info(
        { provider: this.name, characters: read?.characters, files: read?.files },
        `the watched files hold more than ${limit.characters} characters or ${limit.files} files: watching and parsing them in a thread of their own from now on`,
      );
    }
    this.seed = from.goodTexts();
    if (!this.stopping) this.spawn();
  }

  /** Starts the thread; one that exits (a bug, or a script that will not load) is started again. */
  private spawn(): void {
    const data: FileThreadData = { options: this.options, seed: this.seed, logLevel: this.log?.level ?? 'info' };
    const worker = withYoungGeneration(THREAD_SEMI_SPACE_MB, () => new Worker(this.entry, { workerData: data }));
    this.worker = worker;
    const born = Date.now();
    const patches = new PatchReceiver(this.name);
    worker.on('message', (message: FromFileThread) => {
      switch (message.type) {
        case 'part':
          // One part at a time (the thread waits for the ack), patched in time slices.
          runInSlices(patches.add(message))
            .then((result) => {
              if (result.done && result.value) this.emit?.(result.value);
              // The next part after a turn of the event loop, so requests go in between.
              setImmediate(() => worker.postMessage({ type: 'ack' } satisfies ToFileThread));
            })
            .catch((err: unknown) => {
              // A patch that does not apply leaves nothing to patch against: a new thread sends everything.
              this.log?.error({ err, provider: this.name }, 'a snapshot from the file provider thread could not be applied; starting the thread again');
              void worker.terminate();
            });
          break;
        case 'log':
          this.log?.[message.level](message.fields, message.msg);
          break;
      }
    });
    worker.on('error', (err) => this.log?.error({ err, provider: this.name }, 'file provider thread failed'));
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = undefined;
      if (this.stopping) return;
      if (Date.now() - born >= STABLE_MS) this.restartMs = RESTART_MS;
      const wait = this.restartMs;
      this.restartMs = Math.min(MAX_RESTART_MS, wait * 2);
      this.log?.error({ provider: this.name, code }, `file provider thread exited; starting it again in ${wait} ms (the last good config keeps serving; files are not watched meanwhile)`);
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        if (!this.stopping) this.spawn();
      }, wait);
    });
  }
}

/**
 * The thread's young generation (semi-space, MiB). The command runs node with
 * --max-semi-space-size=1 for the main thread (short scavenges while a big table is built;
 * src/cli/launch.ts), and V8 gives every isolate that size, the flag overriding a Worker's
 * resourceLimits. A parse keeps most of what it makes until the next one, so with 1 MiB each
 * reload of a 50-router file paid ~1.6 scavenges of ~1.5 ms in the thread; with 16 MiB, one
 * every ~10 reloads (bench/RESULTS.md, "Reload storm: file provider thread").
 */
const THREAD_SEMI_SPACE_MB = 16;

/**
 * Runs `create` (which starts a Worker) with V8's --max-semi-space-size set to `mb`, restoring
 * the command's value once the thread is online (its isolate is made by then). V8 reads the
 * flag when it configures a new isolate's heap; the running ones keep theirs.
 */
function withYoungGeneration(mb: number, create: () => Worker): Worker {
  const before = process.execArgv.findLast((a) => a.startsWith('--max-semi-space-size='));
  if (!before) return create();
  setFlagsFromString(`--max-semi-space-size=${mb}`);
  let restored = false;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    setFlagsFromString(before);
  };
  try {
    const worker = create();
    worker.once('online', restore);
    worker.once('exit', restore);
    return worker;
  } catch (err) {
    restore();
    throw err;
  }
}

/**
 * file-thread's script beside this module: `file-thread.js` in dist/, `file-thread.cjs` beside
 * the bundled command (scripts/bundle.mjs builds both), and for tests running the TypeScript
 * sources, the one `npm run build` put in dist/ (a thread cannot run .ts).
 */
export function threadEntry(here: string = import.meta.url): string {
  const script = here.endsWith('.cjs')
    ? new URL('./file-thread.cjs', here)
    : here.endsWith('.js')
      ? new URL('./file-thread.js', here)
      : new URL('../../dist/providers/file/file-thread.js', here);
  const file = fileURLToPath(script);
  if (!existsSync(file)) {
    throw new Error(`${file} not found: the file provider's thread runs it when watch is true; run \`npm run build\` (or reinstall switchyard: the command needs every file of dist/bundle/)`);
  }
  return file;
}
