import { statSync } from 'node:fs';
import path from 'node:path';
import chokidar, { type ChokidarOptions, type FSWatcher } from 'chokidar';

/** What the file provider watches: a folder (every config file in it and below) or one file. */
export type WatchTarget = { directory: string } | { filename: string };

export interface FileWatch {
  /** Resolves once chokidar has listed what it watches: edits from then on raise events. */
  ready: Promise<void>;
  close(): Promise<void>;
}

export const CONFIG_FILE = /\.(ya?ml|json)$/i;

/**
 * Watches `target` with chokidar and calls `changed` on anything that may change what the
 * provider reads, and `failed` on a watcher error. The folder that holds the config is watched
 * from its parent too, so a folder replaced wholesale (a deploy renaming a new folder into
 * place, `rm -rf` and a new one) keeps being watched: a watch on the folder itself would go
 * deaf with the old inode.
 *
 * chokidar tells a folder's entries apart by name, so a folder removed and made again between
 * two listings of its parent (`rm -rf d && mkdir d`, or a new one renamed over it) raises no
 * event, and its watches stay on the old folder, deaf (10–15 of 100 runs under load). Any event
 * of the parent's watch that names the folder, raw ones included, therefore makes the watch
 * again (a new watcher: chokidar's unwatch() and add() of one path in a row can leave it
 * unwatched). Saves inside the folder raise no event on the parent: this costs nothing per save.
 */
export function watchFiles(target: WatchTarget, changed: () => void, failed: (err: unknown) => void): FileWatch {
  const watch = (p: string | string[], options: ChokidarOptions): FSWatcher => chokidar.watch(p, options).on('all', changed).on('error', failed);
  if ('directory' in target) return watchFolder(path.resolve(target.directory), watch, changed, failed);
  return watchOneFile(path.resolve(target.filename), watch, changed, failed);
}

type Watch = (p: string | string[], options: ChokidarOptions) => FSWatcher;

/**
 * A folder: its parent, limited to the folder and what is below it. chokidar re-lists a folder
 * (an lstat per entry) on every event in it, which is what a folder of config files needs.
 */
function watchFolder(root: string, watch: Watch, changed: () => void, failed: (err: unknown) => void): FileWatch {
  const parent = path.dirname(root);
  const inside = `${root}${path.sep}`;
  const remade = remadeOnNewFolder(
    root,
    () =>
      watch(parent, {
        ignoreInitial: true,
        atomic: false,
        depth: 17,
        ignored: (p, stats) => {
          if (p === parent || p === root) return false;
          if (!p.startsWith(inside)) return true;
          if (path.basename(p).startsWith('.')) return true;
          return !!stats?.isFile() && !CONFIG_FILE.test(p);
        },
      }).on('raw', (_event, name, details) => namesFolder(parent, root, name, details) && remade.remake()),
    changed,
    failed,
  );
  return { ready: readyOf(remade.current()), close: () => remade.close() };
}

/**
 * One file: the file itself, and its folder from the folder's parent (depth 0: the folder as an
 * entry, not what is in it). Watched through its folder instead, every save by rename made
 * chokidar re-list the folder, an lstat per sibling (~2 ms of CPU per save with 8 siblings,
 * bench/RESULTS.md, "Reload storm: watching one file"); watched by name, a save costs what the
 * file's own events do. A rename over the file, a delete and a re-create, and a ConfigMap's
 * `..data` symlink swap are all seen by the watch on the name; what it cannot see is a new
 * folder in place of the old one, which the watch on the parent reports (see watchFiles).
 */
function watchOneFile(file: string, watch: Watch, changed: () => void, failed: (err: unknown) => void): FileWatch {
  const root = path.dirname(file);
  const parent = path.dirname(root);
  const onFile = remadeOnNewFolder(root, () => watch(file, { ignoreInitial: true, atomic: false }), changed, failed);
  const onFolder = watch(parent, { ignoreInitial: true, atomic: false, depth: 0, ignored: (p) => p !== parent && p !== root });
  onFolder.on('addDir', (p) => p === root && onFile.remake());
  onFolder.on('raw', (_event, name, details) => namesFolder(parent, root, name, details) && onFile.remake());
  return {
    ready: Promise.all([readyOf(onFile.current()), readyOf(onFolder)]).then(() => undefined),
    close: async () => {
      await Promise.all([onFile.close(), onFolder.close()]);
    },
  };
}

interface Remade {
  current(): FSWatcher;
  /** Makes the watcher again once this turn is over (however many events asked), if `root` is a folder by then. */
  remake(): void;
  close(): Promise<void>;
}

/** A watcher that remake() replaces with a new one, calling `changed` once that one is ready (a file may have been written before). */
function remadeOnNewFolder(root: string, make: () => FSWatcher, changed: () => void, failed: (err: unknown) => void): Remade {
  let watcher = make();
  let closed = false;
  let queued = false;
  return {
    current: () => watcher,
    remake() {
      if (closed || queued) return;
      queued = true;
      // One remake for the two events of an rm and a mkdir; a folder still gone raises another when it is back.
      setImmediate(() => {
        queued = false;
        if (closed || !isFolder(root)) return;
        const old = watcher;
        watcher = make();
        old.close().catch(failed);
        void readyOf(watcher).then(() => !closed && changed());
      });
    },
    close: async () => {
      closed = true;
      await watcher.close();
    },
  };
}

/** Whether a raw event of a watch names `root` as an entry of `parent` (an fs.watch without names: any event of the parent may). */
function namesFolder(parent: string, root: string, name: unknown, details: unknown): boolean {
  return (details as { watchedPath?: string } | undefined)?.watchedPath === parent && (!name || name === path.basename(root));
}

function isFolder(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

const readyOf = (watcher: FSWatcher): Promise<void> => new Promise((resolve) => watcher.once('ready', () => resolve()));
