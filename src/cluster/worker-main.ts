// Entry of a worker process (`workers: N`): a data plane fed by the primary over IPC.
import cluster from 'node:cluster';
import { localStats } from '../api/live-stats.js';
import { emptyStatus, type DynamicConfig } from '../config/dynamic-config.js';
import { DataPlane } from '../data-plane.js';
import { createLogger } from '../log.js';
import { newRuleGeneration } from '../rules/index.js';
import { Runtime } from '../runtime/runtime.js';
import { upstreamOptionsOf } from '../runtime/upstream-pool.js';
import { applyPatch } from './config-patch.js';
import type { FromWorker, ToWorker } from './messages.js';

if (!cluster.isWorker) {
  process.stderr.write('switchyard: worker-main is started by the primary process (workers: N), not by hand\n');
  process.exit(2);
}

let plane: DataPlane | undefined;
let current: DynamicConfig | undefined;
/** The newest config version asked for; an older build finishing late is not acknowledged. */
let wanted = 0;
/** The latest table build: `listen` waits for it so the first request finds a table. */
let building: Promise<unknown> = Promise.resolve();
let stopping: Promise<void> | undefined;
/** The entry points listen: before that there is nothing to drain. */
let listening = false;

function send(msg: FromWorker): void {
  if (process.connected) process.send!(msg);
}

const NO_STATUS = emptyStatus();

function handle(msg: ToWorker): void {
  switch (msg.type) {
    case 'init': {
      const config = msg.config;
      const log = createLogger(config.log.level).child({ worker: Number(process.env.SWITCHYARD_WORKER_ID) });
      const transport = config.serversTransport;
      const runtime = new Runtime(
        Object.keys(config.entryPoints),
        upstreamOptionsOf(transport),
        log.child({ component: 'servers' }),
      );
      plane = new DataPlane(config, runtime, log);
      runtime.registry.onEjected = (state, reason) => send({ type: 'ejected', key: state.key, until: state.ejectedUntil, reason });
      return;
    }
    case 'config': {
      const runtime = plane!.runtime;
      current = applyPatch(current, msg.patch);
      newRuleGeneration(); // the primary's validation rounds do it there
      const version = msg.version;
      wanted = version;
      // Errors were reported by the primary; a worker only needs the items that went live.
      building = Promise.resolve(runtime.apply({ config: current, status: NO_STATUS, errors: [] })).then(() => {
        if (wanted === version) send({ type: 'applied', version });
      });
      return;
    }
    case 'health':
      for (const verdict of msg.verdicts) plane!.runtime.registry.applyRemoteHealth(verdict);
      return;
    case 'listen':
      void building
        .then(() => plane!.listen())
        .then(
          () => {
            listening = true;
            send({ type: 'listening', addresses: plane!.addresses() });
          },
          (err: NodeJS.ErrnoException & { address?: string; port?: number }) => {
            send({ type: 'failed', code: err.code, message: err.message, address: err.address, port: err.port });
            process.exit(1);
          },
        );
      return;
    case 'drain':
      // Closing a server whose listen is still pending crashes Node's cluster child (v20), and
      // there is nothing to drain yet: just go.
      if (!listening) process.exit(0);
      void plane!.drain().then(() => send({ type: 'drained' }));
      return;
    case 'finish':
      void stop();
      return;
    case 'reopen-logs':
      plane?.reopenLogs();
      return;
    case 'stats': {
      const runtime = plane!.runtime;
      send({ type: 'stats', id: msg.id, stats: localStats(runtime.table, runtime.registry.states()) });
      return;
    }
  }
}

/** Graceful (after `drain`, or alone): finish in-flight requests, close WebSockets with 1001, exit. */
function stop(): Promise<void> {
  stopping ??= (async () => {
    if (!listening) process.exit(0);
    await plane?.stop();
    plane?.runtime.close();
    plane?.runtime.registry.destroy();
    process.exit(0);
  })();
  return stopping;
}

process.on('message', (msg: ToWorker) => handle(msg));
// A terminal's Ctrl-C reaches the whole process group: the primary coordinates the shutdown.
process.on('SIGINT', () => undefined);
// Stopped on its own (an operator, a supervisor): stop gracefully; the primary starts a new one.
process.on('SIGTERM', () => void stop());
// The primary is gone: nobody sends configs any more; finish what is in flight and go.
process.on('disconnect', () => void stop());
send({ type: 'ready' });
