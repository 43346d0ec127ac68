import http from 'node:http';
import type { ServerState } from '../../src/runtime/server-state.js';
import { startControlledBackend, type ControlledBackend } from './health-backend.js';
import { request, type Reply, type RequestOptions } from './http-client.js';
import type { Resources } from './proxy-harness.js';
import type { TestSwitchyard } from './switchyard.js';
import { waitFor } from './wait.js';

/**
 * The registry's live (not draining) state of server `url` of `service`, read in-process: health,
 * checks and ejections. Traffic counts (served, in flight) live where the traffic is: with
 * workers (SWITCHYARD_TEST_WORKERS), read them with `sy.traffic()`.
 */
export function stateOf(sy: TestSwitchyard, url: string, service = 'app@file'): ServerState {
  const state = sy.app.runtime.registry.states().find((s) => s.service === service && s.url === url && !s.draining);
  if (!state) throw new Error(`no live server ${url} in service ${service}`);
  return state;
}

/** A snapshot of what balancing sees of a server, for Hit.seen. */
export interface Seen {
  health: ServerState['health'];
  available: boolean;
  ejected: boolean;
}

/** An observer for startControlledBackend: the server's state as the request arrives (undefined before it exists). */
export function observer(sy: () => TestSwitchyard | undefined, url: string, service = 'app@file'): () => Seen | undefined {
  return () => {
    const s = sy();
    if (!s) return undefined;
    const state = s.app.runtime.registry.states().find((st) => st.service === service && st.url === url && !st.draining);
    return state ? { health: state.health, available: state.available, ejected: state.ejectedUntil > 0 } : undefined;
  };
}

/**
 * Controlled backends named `names`, closed with `res`; each records, at every request, how the
 * proxy `getSy()` sees it (Hit.seen, from `observer`).
 */
export async function observedBackends(res: Resources, names: string[], getSy: () => TestSwitchyard | undefined = () => undefined): Promise<ControlledBackend[]> {
  const list = await Promise.all(names.map((n) => startControlledBackend(n)));
  for (const b of list) {
    res.add(b);
    b.observe = observer(getSy, b.url);
  }
  return list;
}

/** Waits until server `url`'s state satisfies `ok`; the error names the last state seen. */
export async function waitForState(
  sy: TestSwitchyard,
  url: string,
  ok: (s: ServerState) => boolean,
  what: string,
  timeoutMs = 5000,
  service = 'app@file',
): Promise<ServerState> {
  let last: ServerState | undefined;
  try {
    return await waitFor(
      () => {
        last = stateOf(sy, url, service);
        return ok(last) ? last : undefined;
      },
      what,
      timeoutMs,
    );
  } catch (err) {
    const s = last;
    const brief = s && { health: s.health, available: s.available, ejectedUntil: s.ejectedUntil, lastCheck: s.lastCheck, checkFailures: s.checkFailures, checkPasses: s.checkPasses };
    throw new Error(`${(err as Error).message}; last state: ${JSON.stringify(brief)}`);
  }
}

/** `n` requests, at most `concurrency` at a time, over keep-alive; replies in completion order. */
export async function burst(url: string, n: number, concurrency = 1, options: RequestOptions = {}): Promise<Reply[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const replies: Reply[] = [];
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: Math.min(concurrency, n) }, async () => {
        while (next < n) {
          next++;
          replies.push(await request(url, { ...options, agent }));
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  return replies;
}

/** How many replies came from each backend (by body), and how many were not 200. */
export function shares(replies: readonly Reply[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of replies) {
    const key = r.status === 200 ? r.body : `status ${r.status}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

export interface LoadResult {
  ok: number;
  /** Non-200 answers and client-side errors, with when they happened. */
  failures: Array<{ time: number; status?: number; body?: string; error?: string }>;
  byBackend: Record<string, number>;
}

/**
 * `concurrency` clients, each sending GETs one after another over its own keep-alive socket,
 * until `stop()` is called; `done` resolves with what they saw.
 */
export function startLoad(url: string, concurrency: number): { result: LoadResult; stop(): void; done: Promise<LoadResult> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const result: LoadResult = { ok: 0, failures: [], byBackend: {} };
  let stopped = false;
  const client = async (): Promise<void> => {
    while (!stopped) {
      try {
        const r = await request(url, { agent });
        if (r.status === 200) {
          result.ok++;
          result.byBackend[r.body] = (result.byBackend[r.body] ?? 0) + 1;
        } else {
          result.failures.push({ time: Date.now(), status: r.status, body: r.body });
        }
      } catch (err) {
        result.failures.push({ time: Date.now(), error: (err as Error).message });
      }
    }
  };
  const done = Promise.all(Array.from({ length: concurrency }, client)).then(() => {
    agent.destroy();
    return result;
  });
  return {
    result,
    stop: () => {
      stopped = true;
    },
    done,
  };
}

/** A server as GET /api/http/services/<name> shows it (health fields included). */
export interface ApiServerView {
  url: string;
  state: 'up' | 'down' | 'unknown' | 'ejected' | 'draining';
  health: 'up' | 'down' | 'unknown';
  lastCheck: { time: string; ok: boolean; detail: string } | null;
  failures: number;
  ejectedUntil: string | null;
  inFlight: number;
  served: number;
}

/** The servers of one service from the admin API. */
export async function apiServers(apiUrl: string, name = 'app@file'): Promise<ApiServerView[]> {
  const reply = await request(`${apiUrl}/api/http/services/${name}`, { agent: false });
  if (reply.status !== 200) throw new Error(`GET service ${name}: ${reply.status} ${reply.body}`);
  return (JSON.parse(reply.body) as { servers: ApiServerView[] }).servers;
}
