#!/usr/bin/env node
// The `switchyard` command. The same file is started again as each worker process when the
// static config says `workers` > 1 (node:cluster re-runs the primary's script), so it first
// asks which of the two it is.
import cluster from 'node:cluster';

// No top-level await: the bundle is a CommonJS script (scripts/bundle.mjs), which has none.
if (cluster.isWorker) void import('../cluster/worker-main.js');
else void import('./commands.js');
