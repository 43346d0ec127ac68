// Bundles the compiled CLI (dist/src/cli/main.js) into dist/bundle/switchyard.cjs, one CommonJS
// script, and writes the `switchyard` command, dist/bundle/switchyard.js (src/cli/launch.ts), which
// runs that script through a V8 code cache. Start-up costs (bench/startup.mjs, bench/RESULTS.md):
// loading ~300 separate ESM files was about 470 ms vs about 250 ms for one bundle; compiling the
// bundle is then the largest part of the imports, and node 20 caches compiled code for scripts
// (vm.Script cachedData) but not for ES modules — hence CommonJS and the launcher.
// The same command is the worker entry with `workers` > 1 (see src/cli/main.ts).
// The clients of the Redis, etcd and Docker providers stay outside: they are loaded only when
// configured (each provider module is imported when configured; in the CommonJS bundle esbuild
// keeps such a module in a lazy wrapper, so its require() of the client runs only then), and
// etcd3 reads .proto files from its own folder.
// Not minified: with the cache it saved nothing measurable, on a first start ~3 ms of CPU, and
// stack traces would point into one long line.
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const out = 'dist/bundle';
rmSync(out, { recursive: true, force: true });

// Strict like the ES modules it is made of; import.meta.url as a CommonJS script knows it.
const commonjs = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  banner: { js: '"use strict";\nconst __importMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
  define: { 'import.meta.url': '__importMetaUrl' },
  logLevel: 'warning',
};

await build({
  ...commonjs,
  // The file provider's thread (providers/file/watched-file-provider.ts) runs a script of its own.
  entryPoints: { switchyard: 'dist/src/cli/main.js', 'file-thread': 'dist/providers/file/file-thread.js' },
  outdir: out,
  outExtension: { '.js': '.cjs' },
  external: ['ioredis', 'etcd3', 'dockerode'],
  sourcemap: true,
});

// main.ts's #! line is the launcher's business; an empty line keeps the source map's lines.
// esbuild escapes non-ASCII characters in code but copies comments as they are: escaping those
// too makes the file ASCII, which the launcher reads as a one-byte string (about 4 ms less than
// decoding 2 MB of UTF-8 into a two-byte string, and half the memory).
const app = `${out}/switchyard.cjs`;
const code = readFileSync(app, 'utf8')
  .replace(/^#![^\n]*/, '')
  .replace(/[^\x00-\x7f]/gu, (c) => `\\u{${c.codePointAt(0).toString(16)}}`);
writeFileSync(app, code);

// The launcher is CommonJS too (the package.json next to it says so): node then starts it without
// setting up its ES module loader (hyperfine, `--version`: 94 -> 87 ms).
writeFileSync(`${out}/package.json`, '{ "type": "commonjs" }\n');
await build({
  ...commonjs,
  entryPoints: { switchyard: 'dist/src/cli/launch.js' },
  outdir: out,
  define: { ...commonjs.define, SWITCHYARD_BUNDLE_HASH: JSON.stringify(createHash('sha256').update(code).digest('hex').slice(0, 16)) },
});

// The launcher starts as a /bin/sh script that execs node with the command's node flags (see
// src/cli/launch.ts); to node the second line is a string and a comment. Works with any POSIX
// sh, unlike `env -S`. bench/lib/switchyard.mjs reads the flags back from this line.
const NODE_FLAGS = ['--max-semi-space-size=1'];
const launcher = `${out}/switchyard.js`;
const prologue = `#!/bin/sh\n':' //; exec node ${NODE_FLAGS.join(' ')} "$0" "$@"\n`;
writeFileSync(launcher, readFileSync(launcher, 'utf8').replace(/^#![^\n]*\n/, prologue));
