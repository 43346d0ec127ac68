#!/usr/bin/env node
// The node flags the command runs with are in NODE_FLAGS below; scripts/bundle.mjs writes them
// into the built launcher's first two lines (a /bin/sh prologue that execs node with them:
// `#!/usr/bin/env -S node …` would be simpler, but BusyBox's env, as on Alpine, has no -S).
// --max-semi-space-size=1 (MiB; V8's young generation, 16 by default): most of what a reload
// builds survives, so a scavenge copies it all; a smaller young generation keeps each pause
// short — the longest event-loop block of a 10,000-router first load 24-26 -> 16-18 ms — at no
// measurable cost to proxying (18.3 vs 18.0 µs CPU per request; bench/RESULTS.md, "Young
// generation"). Worker processes inherit it (cluster forks with the primary's execArgv).
// The `switchyard` command as built (dist/bundle/switchyard.js, CommonJS, scripts/bundle.mjs):
// runs the bundled program (switchyard.cjs next to it, one CommonJS script) through a V8 code
// cache, so a start with the cache skips compiling ~2 MB of JavaScript (bench/RESULTS.md,
// "Start-up: code cache"). Node 20 has no compile cache for ES modules, hence a script.
// The cache is one file per user, bundle and node version, in SWITCHYARD_COMPILE_CACHE (a folder;
// `off` disables it) or else $XDG_CACHE_HOME/switchyard (~/.cache/switchyard). When it is missing
// or V8 rejects it, it is written once start-up is done (serve.ts calls startupDone()) — in the
// background a second later, or at exit if that comes first. A folder or file that other users
// may write is not read (on Windows, where mode bits say nothing, that is every one). Any failure
// just means no cache: the program runs the same, compiled again.
import { isAscii } from 'node:buffer';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants, Script } from 'node:vm';
import { COMPILE_CACHE_HOOK } from './compile-cache.js';

/** sha256 prefix of switchyard.cjs, set by scripts/bundle.mjs: a rebuilt bundle gets a new cache. */
declare const SWITCHYARD_BUNDLE_HASH: string;

const bundle = fileURLToPath(new URL('./switchyard.cjs', import.meta.url));
const bytes = readFileSync(bundle);
// ASCII as scripts/bundle.mjs writes it: a one-byte string, read without decoding UTF-8.
const source = bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
const cacheDir = compileCacheDir();
const cacheName = `switchyard-${SWITCHYARD_BUNDLE_HASH}-${process.version}-${process.arch}.v8cache`;
const cacheFile = cacheDir === undefined ? undefined : path.join(cacheDir, cacheName);
const cached = cacheFile === undefined ? undefined : readIfOurs(cacheFile);

// The same wrapper as node's own CommonJS loader; one line, so the bundle's line numbers hold.
const script = new Script(`(function (exports, require, module, __filename, __dirname) { ${source}\n})`, {
  filename: bundle,
  ...(cached ? { cachedData: cached } : {}),
  // import() inside the bundle (none of ours; a dependency might) works as in any module.
  importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
});

if (cacheFile !== undefined && (cached === undefined || script.cachedDataRejected === true)) {
  let written = false;
  const write = (): void => {
    if (written) return;
    written = true;
    try {
      writeCache(cacheDir!, cacheFile, script.createCachedData());
    } catch {
      // No cache: the next start compiles again, nothing else changes.
    }
  };
  (globalThis as Record<symbol, unknown>)[COMPILE_CACHE_HOOK] = () => {
    setTimeout(write, 1000).unref();
    process.once('exit', write);
  };
}

const module = { exports: {}, filename: bundle, id: bundle };
(script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, createRequire(bundle), module, bundle, path.dirname(bundle));

function compileCacheDir(): string | undefined {
  const setting = process.env.SWITCHYARD_COMPILE_CACHE;
  if (setting === 'off' || setting === '0') return undefined;
  if (setting) return path.resolve(setting);
  try {
    return path.join(process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'switchyard');
  } catch {
    return undefined;
  }
}

/** The cache file, if it is there and neither it nor its folder can be written by another user (V8 would run what it holds). */
function readIfOurs(file: string): Buffer | undefined {
  try {
    if (!ours(path.dirname(file)) || !ours(file)) return undefined;
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

function ours(file: string): boolean {
  const s = statSync(file);
  return (process.getuid === undefined || s.uid === process.getuid()) && (s.mode & 0o022) === 0;
}

/** Writes atomically (several processes may start at once) and removes caches of other builds. */
function writeCache(dir: string, file: string, data: Buffer): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!ours(dir)) return;
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data, { mode: 0o600 });
  renameSync(tmp, file);
  for (const name of readdirSync(dir)) {
    if (name !== path.basename(file) && /^switchyard-.*\.v8cache$/.test(name)) rmSync(path.join(dir, name), { force: true });
  }
}
