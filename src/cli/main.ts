#!/usr/bin/env node
// The `switchyard` command. The same file is started again as each worker process when the
// static config says `workers` > 1 (node:cluster re-runs the primary's script), so it first
// asks which of the two it is.
import cluster from 'node:cluster';

if (cluster.isWorker) await import('../cluster/worker-main.js');
else await import('./commands.js');
