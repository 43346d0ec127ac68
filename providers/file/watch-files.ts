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
 */
export function watchFiles(target: WatchTarget, changed: () => void, failed: (err: unknown) => void): FileWatch {
  const watch = (p: string | string[], options: ChokidarOptions): FSWatcher => chokidar.watch(p, options).on('all', changed).on('error', failed);
  if ('directory' in target) {
    const watcher = watchFolder(path.resolve(target.directory), watch);
    return { ready: readyOf(watcher), close: () => watcher.close() };
  }
  return watchOneFile(path.resolve(target.filename), watch, changed, failed);
}

type Watch = (p: string | string[], options: ChokidarOptions) => FSWatcher;

function isFolder(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

const readyOf = (watcher: FSWatcher): Promise<void> => new Promise((resolve) => watcher.once('ready', () => resolve()));

/**
 * A folder: its parent, limited to the folder and what is below it. chokidar re-lists a folder
 * (an lstat per entry) on every event in it, which is what a folder of config files needs.
 */
function watchFolder(root: string, watch: Watch): FSWatcher {
  const parent = path.dirname(root);
  const inside = `${root}${path.sep}`;
  return watch(parent, {
    ignoreInitial: true,
    atomic: false,
    depth: 17,
    ignored: (p, stats) => {
      if (p === parent || p === root) return false;
      if (!p.startsWith(inside)) return true;
      if (path.basename(p).startsWith('.')) return true;
      return !!stats?.isFile() && !CONFIG_FILE.test(p);
    },
  });
}

/**
 * One file: the file itself, and its folder from the folder's parent (depth 0: the folder as an
 * entry, not what is in it). Watched through its folder instead, every save by rename made
 * chokidar re-list the folder, an lstat per sibling (~2 ms of CPU per save with 8 siblings,
 * bench/RESULTS.md, "Reload storm: watching one file"); watched by name, a save costs what the
 * file's own events do. A rename over the file, a delete and a re-create, and a ConfigMap's
 * `..data` symlink swap are all seen by the watch on the name; what it cannot see is a new
 * folder in place of the old one, so when another folder stands at the path the file gets a new
 * watch (a new watcher: chokidar's unwatch() and add() of one path in a row can leave it
 * unwatched) on any event of the parent's watch that names the folder, raw ones included:
 * chokidar compares a folder's entries by name, so a folder removed and made again between two
 * of its listings (`rm -rf d && mkdir d`) raises no addDir, and the new folder may even have the
 * old one's inode. Saves inside the folder raise no event on the parent: this costs nothing per save.
 */
function watchOneFile(file: string, watch: Watch, changed: () => void, failed: (err: unknown) => void): FileWatch {
  const root = path.dirname(file);
  const parent = path.dirname(root);
  const byName = (): FSWatcher => watch(file, { ignoreInitial: true, atomic: false });
  let onFile = byName();
  let closed = false;
  let rewatchQueued = false;
  /** A new watch on the name, once per turn however many events asked (an rm and a mkdir raise two). */
  const rewatch = (): void => {
    if (closed || rewatchQueued) return;
    rewatchQueued = true;
    setImmediate(() => {
      rewatchQueued = false;
      // Gone: its return raises another event.
      if (closed || !isFolder(root)) return;
      const old = onFile;
      onFile = byName();
      old.close().catch(failed);
      // The file may have been written before its new watch was ready: read again once it is.
      void readyOf(onFile).then(() => !closed && changed());
    });
  };
  const folderName = path.basename(root);
  const onFolder = watch(parent, { ignoreInitial: true, atomic: false, depth: 0, ignored: (p) => p !== parent && p !== root });
  onFolder.on('addDir', (p) => p === root && rewatch());
  onFolder.on('raw', (_event, name, details) => {
    // Some platforms' fs.watch gives no name: then any event of the parent may be the folder's.
    if ((details as { watchedPath?: string }).watchedPath === parent && (!name || name === folderName)) rewatch();
  });
  return {
    ready: Promise.all([readyOf(onFile), readyOf(onFolder)]).then(() => undefined),
    close: async () => {
      closed = true;
      await Promise.all([onFile.close(), onFolder.close()]);
    },
  };
}
