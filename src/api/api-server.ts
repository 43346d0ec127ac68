import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { listenOn } from '../entrypoints/listen.js';
import { formatConfigError } from '../config/dynamic-config.js';
import type { Runtime } from '../runtime/runtime.js';
import type { ServerState } from '../runtime/server-state.js';
import type { LiveStats } from './live-stats.js';
import { reportsView, reportView } from './report-view.js';
import { serviceView } from './service-view.js';

/** `/ping` and a read-only `/api/...`; it reports, it never changes config behind the providers. */
export class ApiServer {
  readonly server: http.Server;
  private healthy = true;

  /** @param liveStats traffic counts of whoever serves the traffic (this process, or the workers). */
  constructor(
    private readonly address: string,
    private readonly runtime: Runtime,
    private readonly log: Logger,
    private readonly liveStats: () => Promise<LiveStats>,
  ) {
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  listen(): Promise<AddressInfo> {
    return listenOn(this.server, this.address);
  }

  /** Shutdown has begun: /ping answers 503 so upstream load balancers stop sending. */
  markStopping(): void {
    this.healthy = false;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    try {
      this.route(req, res).catch((err: unknown) => this.failed(err, res));
    } catch (err) {
      this.failed(err, res);
    }
  }

  private failed(err: unknown, res: ServerResponse): void {
    this.log.error({ err }, 'admin API request failed');
    if (!res.headersSent) json(res, 500, { error: 'internal error; see the switchyard log' });
  }

  private states(): Map<string, ServerState> {
    return new Map(this.runtime.registry.states().map((s) => [s.key, s]));
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!).replace(/\/+$/, '') || '/';
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return json(res, 405, { error: 'the admin API is read-only; change config through a provider' });
    }
    if (path === '/ping') {
      res.writeHead(this.healthy ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(this.healthy ? 'OK' : 'Service Unavailable');
      return;
    }
    const table = this.runtime.table;
    const status = table.source.status;
    if (path === '/api/rawdata') {
      return json(res, 200, {
        version: table.version,
        routers: reportsView(status.routers),
        services: reportsView(status.services),
        errors: table.source.errors.map((e) => ({ ...e, text: formatConfigError(e) })),
      });
    }
    if (path === '/api/http/routers') return json(res, 200, [...status.routers].map(([name, r]) => ({ name, ...reportView(r) })));
    if (path === '/api/http/services') {
      const live = await this.liveStats();
      const states = this.states();
      return json(res, 200, [...status.services.keys()].map((name) => serviceView(table, states, live, name)));
    }
    const m = /^\/api\/http\/(routers|services)\/(.+)$/.exec(path);
    if (m) {
      const kind = m[1] as 'routers' | 'services';
      const name = resolveName(m[2]!, [...status[kind].keys()]);
      if (name === undefined) return json(res, 404, { error: `no ${kind.slice(0, -1)} named ${m[2]}; names look like app@file` });
      if (kind === 'routers') return json(res, 200, { name, ...reportView(status.routers.get(name)!) });
      return json(res, 200, serviceView(table, this.states(), await this.liveStats(), name));
    }
    json(res, 404, { error: `no such endpoint ${path}; try /ping, /api/rawdata, /api/http/routers, /api/http/services` });
  }
}

/** `app@file`, or a bare `app` when exactly one provider has that name. */
function resolveName(wanted: string, names: string[]): string | undefined {
  if (names.includes(wanted)) return wanted;
  if (wanted.includes('@')) return undefined;
  const hits = names.filter((n) => n.slice(0, n.lastIndexOf('@')) === wanted);
  return hits.length === 1 ? hits[0] : undefined;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
