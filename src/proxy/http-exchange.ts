import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { BalancerServer } from '../balancer/types.js';
import type { ServiceRuntime } from '../runtime/routing-table.js';
import type { ServerState } from '../runtime/server-state.js';
import { clientResponseHeaders } from './client-response-headers.js';
import type { ForwardInfo } from './forwarded-headers.js';
import type { Body } from './request-body.js';
import { upstreamRequestHeaders } from './upstream-request-headers.js';

/** What an exchange reports to the forwarder that runs it. */
export interface ExchangeOwner {
  /** The upstream answered `status` (passive health looks at 5xx). */
  answered(exchange: HttpExchange, status: number): void;
  /** The current attempt failed: retry, answer 502/504, or cut the response. */
  failed(exchange: HttpExchange, err: Error): void;
  /** The client's response closed, finished or cut: the request is over. */
  closed(exchange: HttpExchange): void;
}

const NO_BODY: Body = { kind: 'none' };

/** Passed to undici when the client went away first. */
const CLIENT_GONE = Object.assign(new Error('the client closed the connection'), { code: 'CLIENT_GONE' });

/**
 * One client request on its way through one or more upstream attempts, and the undici handler
 * of each attempt: the response is written straight to the client's ServerResponse from
 * undici's callbacks (status and headers → writeHead, data → write with back-pressure,
 * complete → end). The callback API hands over raw header buffers and needs no per-request
 * wrapper objects, the cheapest way through undici. One 'close' listener on the response
 * does all the accounting when the request ends, however it ends.
 */
export class HttpExchange implements Dispatcher.DispatchHandler {
  /** The server of the current attempt. */
  server: BalancerServer;
  setCookie: string | undefined;
  body: Body = NO_BODY;
  /** Request target without the server's path prefix; the same for every attempt. */
  readonly path: string;
  /** Upstream request headers, built once for all attempts. */
  readonly headers: string[];
  /** Servers already tried (created at the first retry): a retry goes elsewhere. */
  tried: Set<ServerState> | undefined;
  attempts = 1;
  staleRetries = 0;
  /** Status and headers went to the client: no retry, and a failure can only cut the response. */
  responded = false;
  /** The client's response closed. */
  closed = false;
  private abortUpstream: ((err?: Error) => void) | undefined;
  /** undici's parser resume, for when the client has drained what we wrote. */
  private resume: (() => void) | undefined;

  constructor(
    private readonly owner: ExchangeOwner,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly service: ServiceRuntime,
    readonly info: ForwardInfo,
    server: BalancerServer,
    setCookie: string | undefined,
    private readonly onEnd: () => void,
  ) {
    this.server = server;
    this.setCookie = setCookie;
    this.path = targetPath(req.url ?? '/');
    this.headers = upstreamRequestHeaders(req.headers, info, service.passHostHeader);
    res.on('close', this.onClose);
  }

  onConnect(abort: (err?: Error) => void): void {
    if (this.closed) abort(CLIENT_GONE);
    else this.abortUpstream = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    // 1xx are informational and not relayed (Node's server answers a client's 100-continue itself).
    if (statusCode < 200) return true;
    this.owner.answered(this, statusCode);
    // Answered before the upload ended: the rest of the upload would be read by no one, so the
    // client connection closes after this response (a keep-alive client would otherwise hang).
    if (!this.req.complete) this.res.shouldKeepAlive = false;
    // Throws on a status or header Node will not write; undici then aborts with that error (→ 502).
    this.res.writeHead(statusCode, statusText || undefined, clientResponseHeaders(rawHeaders, this.setCookie));
    this.responded = true;
    this.resume = resume;
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.res.write(chunk)) return true;
    // The client reads slower than the upstream sends: pause undici's parser until it drains.
    this.res.once('drain', this.resume!);
    return false;
  }

  onComplete(): void {
    this.abortUpstream = undefined;
    this.res.end();
  }

  onError(err: Error): void {
    this.abortUpstream = undefined;
    this.owner.failed(this, err);
  }

  /** The next attempt starts: nothing of the last one's connection is ours any more. */
  restart(): void {
    this.abortUpstream = undefined;
    this.resume = undefined;
  }

  private readonly onClose = (): void => {
    this.closed = true;
    // A client that leaves mid-request takes the upstream request with it (undici closes that connection).
    const abort = this.abortUpstream;
    this.abortUpstream = undefined;
    abort?.(CLIENT_GONE);
    this.owner.closed(this);
    this.onEnd();
  };
}

/**
 * The request target sent upstream: as received (never normalised), except that an
 * absolute-form target (`GET http://host/path`) becomes its path and query.
 */
function targetPath(url: string): string {
  if (url.charCodeAt(0) === 47 /* / */ || !/^https?:\/\//i.test(url)) return url;
  const rest = url.slice(url.indexOf('//') + 2);
  const cut = rest.search(/[/?]/);
  if (cut < 0) return '/';
  return rest[cut] === '?' ? `/${rest.slice(cut)}` : rest.slice(cut);
}
