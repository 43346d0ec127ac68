import type { LiveStats } from '../api/live-stats.js';
import type { StaticConfig } from '../config/static-config.js';
import type { HealthVerdict } from '../runtime/server-state.js';
import type { ConfigPatch } from './config-patch.js';

/**
 * What the primary and the worker processes say to each other over the cluster IPC channel
 * (structured clone). The channel is ordered, so a worker sees configs and health updates in
 * the order the primary produced them.
 */

export type ToWorker =
  /** First message: everything a worker needs to build its data plane. */
  | { type: 'init'; config: StaticConfig }
  /** A new dynamic config, as changes against the previous one the worker received. */
  | { type: 'config'; version: number; patch: ConfigPatch }
  | { type: 'health'; verdicts: HealthVerdict[] }
  /** Take connections (sent once the first config and health are in): answer `serving`. */
  | { type: 'serve' }
  /** A client connection accepted by the primary for entry point `entryPoint`: the socket is the message's handle. */
  | { type: 'connection'; entryPoint: string }
  /** Graceful stop, step 1: stop accepting, finish HTTP in flight (graceTimeout); answer `drained`. */
  | { type: 'drain' }
  /**
   * Step 2, once every worker drained: close WebSockets with 1001, then exit. Two steps so
   * that no WebSocket closes while any worker still finishes HTTP requests, as in one process.
   */
  | { type: 'finish' }
  /** The admin API wants the traffic counts: answer with `stats` and the same id. */
  | { type: 'stats'; id: number }
  /** SIGUSR1 reached the primary: reopen the access log file (logrotate). */
  | { type: 'reopen-logs' };

export type FromWorker =
  /** The worker listens for messages: the primary may send `init`. */
  | { type: 'ready' }
  /** The worker has its table and takes connections. */
  | { type: 'serving' }
  /** The connections it was handed: sent when one of them closed, at most once a millisecond. */
  | { type: 'connections'; received: number; open: number }
  /** The worker's current table is built from the config of this version. */
  | { type: 'applied'; version: number }
  | { type: 'drained' }
  /** Start-up failed (e.g. the access log cannot be opened); the primary reports it and stops. */
  | { type: 'failed'; code: string | undefined; message: string }
  | { type: 'stats'; id: number; stats: LiveStats }
  /** This worker's traffic ejected a server (passive health check). */
  | { type: 'ejected'; key: string; until: number; reason: string };
