// Entry of a worker process (`workers: N`): a data plane fed by the primary over IPC.
import cluster from 'node:cluster';
import type { Socket } from 'node:net';
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
/** The latest table build: `serve` waits for it so the first request finds a table. */
let building: Promise<unknown> = Promise.resolve();
let stopping: Promise<void> | undefined;
/** Takes connections: before that there is nothing to drain. */
let serving = false;
/** The connections the primary handed over, for its choice of worker (FromWorker 'connections'). */
const connections = { received: 0, open: 0 };
let reportPending = false;

function send(msg: FromWorker): void {
  if (process.connected) process.send!(msg);
}

const NO_STATUS = emptyStatus();

/**
 * At most one report per millisecond: fresh enough that a client closing its whole pool and
 * opening a new one at once finds both workers' closes counted (with a 10 ms timer one worker's
 * report could still be pending, and the new pool split 16/48), and bounded however many
 * connections come and go (each report costs the primary a message to read).
 */
function reportConnections(): void {
  if (reportPending) return;
  reportPending = true;
  setTimeout(() => {
    reportPending = false;
    send({ type: 'connections', ...connections });
  }, 1);
}

function adopt(entryPoint: string, socket: Socket | undefined): void {
  connections.received++; // also without a socket (lost in transit): the primary counts it as on its way
  if (!socket) return;
  connections.open++;
  // Only closes are reported: the primary counts what it sent as open until a report says
  // otherwise, so a report on arrival would tell it nothing new.
  socket.once('close', () => {
    connections.open--;
    reportConnections();
  });
  // Handed over while this worker was stopping: EntryPoint closes it (and the close is reported).
  plane!.adopt(entryPoint, socket);
}

function handle(msg: ToWorker, socket: Socket | undefined): void {
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
    case 'serve':
      void building
        .then(() => plane!.serveHanded())
        .then(
          () => {
            serving = true;
            send({ type: 'serving' });
          },
          (err: NodeJS.ErrnoException) => {
            send({ type: 'failed', code: err.code, message: err.message });
            process.exit(1);
          },
        );
      return;
    case 'connection':
      adopt(msg.entryPoint, socket);
      return;
    case 'drain':
      // Not serving yet: there is nothing to drain, just go.
      if (!serving) process.exit(0);
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
    if (!serving) process.exit(0);
    await plane?.stop();
    plane?.runtime.close();
    plane?.runtime.registry.destroy();
    process.exit(0);
  })();
  return stopping;
}

process.on('message', (msg: ToWorker, socket: Socket | undefined) => handle(msg, socket));
// A terminal's Ctrl-C reaches the whole process group: the primary coordinates the shutdown.
process.on('SIGINT', () => undefined);
// Stopped on its own (an operator, a supervisor): stop gracefully; the primary starts a new one.
process.on('SIGTERM', () => void stop());
// The primary is gone: nobody sends configs any more; finish what is in flight and go.
process.on('disconnect', () => void stop());
send({ type: 'ready' });
