import net, { type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { StaticConfig } from '../config/static-config.js';
import { listenOn } from '../entrypoints/listen.js';
import { WorkerLoads, type ConnectionReport } from './worker-loads.js';

/** Hands one accepted client socket to worker `id`; `done` gets the IPC error, if any. */
export type HandOff = (id: number, entryPoint: string, socket: Socket, done: (err: Error | null) => void) => void;

/** Connections waiting while no worker is ready (all restarting): beyond this, new ones are refused. */
const MAX_WAITING = 1_024;

/**
 * The primary's listeners in `workers` mode: it owns every entry point's socket, accepts each
 * connection without reading from it (pauseOnConnect), and hands it to the least loaded worker
 * (WorkerLoads) over IPC. The worker reads the request; the primary never sees a byte of it.
 */
export class ConnectionDispatcher {
  private readonly servers = new Map<string, net.Server>();
  private readonly loads = new WorkerLoads();
  /** Accepted while no worker was ready: handed out as soon as one is. */
  private waiting: Array<{ entryPoint: string; socket: Socket }> = [];
  private closed = false;

  constructor(
    private readonly config: StaticConfig,
    private readonly handOff: HandOff,
    private readonly log: Logger,
  ) {
    for (const name of Object.keys(config.entryPoints)) {
      // noDelay is a socket option: it travels with the socket to the worker.
      this.servers.set(name, net.createServer({ pauseOnConnect: true, noDelay: true }, (socket) => this.dispatch(name, socket)));
    }
  }

  /** Binds every entry point, in config order; rejects with the first bind error (EADDRINUSE …). */
  async listen(): Promise<Record<string, { address: string; port: number }>> {
    const out: Record<string, { address: string; port: number }> = {};
    for (const [name, server] of this.servers) {
      const { address, port } = await listenOn(server, this.config.entryPoints[name]!.address);
      out[name] = { address, port };
      // Once bound, one accept failing (EMFILE …) must not take the primary down; the listener keeps going.
      server.on('error', (err) => this.log.error({ entryPoint: name, err: err.message }, 'accepting a connection failed'));
      this.log.info({ entryPoint: name, address: `${address}:${port}` }, 'entry point listening');
    }
    return out;
  }

  /** Worker `id` takes connections from now on. */
  addWorker(id: number): void {
    this.loads.add(id);
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) this.dispatch(w.entryPoint, w.socket);
  }

  /** Worker `id` is gone or stopping: it gets no more connections. */
  removeWorker(id: number): void {
    this.loads.remove(id);
  }

  report(id: number, report: ConnectionReport): void {
    this.loads.report(id, report);
  }

  openByWorker(): Map<number, number> {
    return this.loads.openByWorker();
  }

  /** Stops accepting at once (new connections are refused); connections already handed over stay with their worker. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    // Not awaited: a server that handed sockets to other processes reports 'close' only when
    // every one of them has closed, and the workers' drain is what waits for those.
    for (const server of this.servers.values()) server.close();
    for (const w of this.waiting) w.socket.destroy();
    this.waiting = [];
  }

  private dispatch(entryPoint: string, socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    const id = this.loads.take();
    if (id === undefined) {
      if (this.waiting.length >= MAX_WAITING) socket.destroy();
      else this.waiting.push({ entryPoint, socket });
      return;
    }
    this.handOff(id, entryPoint, socket, (err) => {
      // The worker is exiting (its channel closed): the connection is lost with it, as it would
      // have been had it arrived a moment earlier. The worker's exit removes it from the choice.
      if (err) this.log.debug({ worker: id, err: err.message }, 'a connection could not be handed to a worker (it is exiting)');
    });
  }
}
