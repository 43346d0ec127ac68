import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { startBackend, type Backend } from './backends.js';

/** How the backend answers Switchyard's active health checks. */
export type HealthMode = 'pass' | 'fail' | 'hang';
/**
 * How it answers real traffic: `ok` 200 with its name; `fail` 500; `reset` reads the whole
 * request body, then destroys the connection without answering; `hold` reads the body and
 * answers 200 only when `release()` is called.
 */
export type TrafficMode = 'ok' | 'fail' | 'reset' | 'hold';

export interface Hit {
  /** Epoch ms when the request arrived. */
  time: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Whatever `observe()` returned when the request arrived (e.g. the proxy's view of this server). */
  seen: unknown;
  /** Body bytes received so far. */
  bytes: number;
  /** The whole body has arrived. */
  done: boolean;
  /** sha256 (hex) of the whole body, once done. */
  sha256: string | undefined;
  /** The body as text, once done (only kept for bodies up to 64 KiB). */
  body: string | undefined;
  /** The status we answered with (0 = none yet / never). */
  status: number;
}

export interface ControlledBackend extends Backend {
  health: HealthMode;
  /** Status sent for a passing check (default 200). */
  passStatus: number;
  traffic: TrafficMode;
  /** Active health check requests (recognised by Switchyard's User-Agent), in arrival order. */
  checks: Hit[];
  /** Every other request, in arrival order. */
  hits: Hit[];
  /** Called synchronously as each request arrives; its result is stored in `Hit.seen`. */
  observe: (() => unknown) | undefined;
  /** Answers every held request with 200. */
  release(): void;
  /** Held requests not yet answered. */
  readonly held: number;
}

const KEEP_BODY = 64 * 1024;

/**
 * A real backend on an ephemeral port whose health-check answer and traffic behaviour can be
 * switched at any time, recording every request (with `observe()`'s snapshot at arrival).
 * Health checks are told apart by Switchyard's User-Agent, so path and method are free.
 */
export async function startControlledBackend(
  name: string,
  init: { health?: HealthMode; traffic?: TrafficMode; passStatus?: number; observe?: () => unknown } = {},
): Promise<ControlledBackend> {
  const pending: Array<{ res: ServerResponse; hit: Hit }> = [];
  const answer = (res: ServerResponse, hit: Hit, status: number, body: string): void => {
    if (res.destroyed) return;
    hit.status = status;
    if (status === 204 || status === 304) {
      res.writeHead(status, { 'x-backend': name });
      res.end();
      return;
    }
    res.writeHead(status, { 'content-type': 'text/plain', 'x-backend': name, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  let cb: ControlledBackend;
  const base = await startBackend(name, {
    handler: (req, res) => {
      const hit: Hit = {
        time: Date.now(),
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        seen: cb.observe?.(),
        bytes: 0,
        done: false,
        sha256: undefined,
        body: undefined,
        status: 0,
      };
      const isCheck = req.headers['user-agent'] === 'switchyard-health-check';
      (isCheck ? cb.checks : cb.hits).push(hit);
      if (isCheck) {
        req.resume();
        // Never answered; the socket is destroyed when the backend closes.
        if (cb.health === 'hang') return;
        answer(res, hit, cb.health === 'pass' ? cb.passStatus : 500, cb.health);
        return;
      }
      const mode = cb.traffic;
      const hash = createHash('sha256');
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => {
        hit.bytes += c.length;
        hash.update(c);
        if (hit.bytes <= KEEP_BODY) chunks.push(c);
      });
      req.on('end', () => {
        hit.done = true;
        hit.sha256 = hash.digest('hex');
        if (hit.bytes <= KEEP_BODY) hit.body = Buffer.concat(chunks).toString();
        if (mode === 'reset') return void req.socket.destroy();
        if (mode === 'hold') return void pending.push({ res, hit });
        answer(res, hit, mode === 'fail' ? 500 : 200, mode === 'fail' ? `${name} failed` : name);
      });
    },
  });
  const extra = {
    health: init.health ?? 'pass',
    passStatus: init.passStatus ?? 200,
    traffic: init.traffic ?? 'ok',
    checks: [] as Hit[],
    hits: [] as Hit[],
    observe: init.observe,
    release(): void {
      for (const p of pending.splice(0)) answer(p.res, p.hit, 200, name);
    },
  };
  cb = Object.defineProperty(Object.assign(base, extra), 'held', {
    get: () => pending.filter((p) => !p.res.destroyed).length,
  }) as ControlledBackend;
  return cb;
}

/** Gaps (ms) between consecutive entries of `hits` whose arrival snapshots both satisfy `keep`. */
export function gapsWhere(hits: readonly Hit[], keep: (seen: unknown) => boolean): number[] {
  const out: number[] = [];
  for (let i = 1; i < hits.length; i++) {
    if (keep(hits[i - 1]!.seen) && keep(hits[i]!.seen)) out.push(hits[i]!.time - hits[i - 1]!.time);
  }
  return out;
}
