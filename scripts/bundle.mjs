// Bundles the compiled CLI (dist/src/cli/main.js) into dist/bundle/switchyard.js (the
// `switchyard` command) and a few chunks. Loading ~300 separate ESM files (ours, zod, undici, yaml, pino …) was
// most of start-up (bench/startup.mjs: about 470 ms to import everything vs about 250 ms for
// the bundle). The same file is the worker entry with `workers` > 1 (see src/cli/main.ts).
// The clients of the Redis, etcd and Docker providers stay outside: they are loaded only when
// configured, and etcd3 reads .proto files from its own folder. Code splitting keeps each
// provider (and so its client's import) in its own chunk, loaded by the dynamic import that
// configures it: in one single file those imports would become static and load at start
// (measured: that made start-up slower than no bundle at all).
import { build } from 'esbuild';

await build({
  entryPoints: { switchyard: 'dist/src/cli/main.js' },
  outdir: 'dist/bundle',
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  external: ['ioredis', 'etcd3', 'dockerode'],
  // CommonJS dependencies inside an ES module bundle still call require().
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  sourcemap: true,
  logLevel: 'warning',
});
