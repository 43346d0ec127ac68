import { STATUS_CODES } from 'node:http';
import type { BalancerServer } from '../balancer/types.js';
import type { Downstream } from '../http1/downstream.js';
import type { Http1Head } from '../http1/llhttp.js';
import type { ServiceRuntime } from '../runtime/routing-table.js';
import type { ServerState } from '../runtime/server-state.js';
import { clientResponseHeaders } from './client-response-headers.js';
import type { ForwardInfo } from './forwarded-headers.js';
import { NO_BODY, type Body } from './request-body.js';
import { respond } from './respond.js';
import type { UpstreamConnection, UpstreamHandler } from './upstream-connection.js';
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

/**
 * One client request on its way through one or more upstream attempts, and the handler of
 * each attempt's upstream connection: the response goes straight to the client's Downstream
 * (head → writeHead, data → write with back-pressure, complete → end). The Downstream's one
 * close callback does all the accounting when the request ends, however it ends.
 */
export class HttpExchange implements UpstreamHandler {
  /** The server of the current attempt. */
  server: BalancerServer;
  setCookie: string | undefined;
  body: Body = NO_BODY;
  /** Request target without the server's path prefix; the same for every attempt. */
  readonly path: string;
  /** Upstream header lines (all but Host and framing), built once for all attempts. */
  readonly headerLines: string;
  /** Servers already tried (created at the first retry): a retry goes elsewhere. */
  tried: Set<ServerState> | undefined;
  attempts = 1;
  staleRetries = 0;
  /** Status and headers went to the client: no retry, and a failure can only cut the response. */
  responded = false;
  /** The client's response closed. */
  closed = false;
  /** The upstream connection of the current attempt. */
  conn: UpstreamConnection | undefined;

  constructor(
    private readonly owner: ExchangeOwner,
    readonly d: Downstream,
    readonly service: ServiceRuntime,
    readonly info: ForwardInfo,
    server: BalancerServer,
    setCookie: string | undefined,
    private readonly onEnd: (d: Downstream) => void,
  ) {
    this.server = server;
    this.setCookie = setCookie;
    this.path = targetPath(d.head.url);
    this.headerLines = upstreamRequestHeaders(d.head.rawHeaders, d.head.host, info);
    d.onClose = this.onClose;
  }

  onHeaders(head: Http1Head): void {
    const status = head.statusCode;
    this.owner.answered(this, status);
    const d = this.d;
    // Answered before the upload ended: the rest of the upload would be read by no one, so the
    // client connection closes after this response (a keep-alive client would otherwise hang).
    if (!d.head.complete) d.closeAfter = true;
    const noBody = d.head.method === 'HEAD' || status === 204 || status === 304;
    const { headers, contentLength, codings } = clientResponseHeaders(head.rawHeaders, this.setCookie, noBody);
    this.responded = true;
    if (codings !== undefined && d.head.httpVersion !== '1.1') {
      // HTTP/1.0 has no Transfer-Encoding (RFC 9112 §6.1): once unchunked, the body would reach the
      // client still `gzip`-coded with nothing to say so. The body is not read; the client is told why.
      const conn = this.conn;
      this.conn = undefined;
      conn?.abort();
      respond(d, 502, `the backend sent its response with Transfer-Encoding: ${codings}, which an HTTP/1.0 client cannot receive; send the request over HTTP/1.1`);
      return;
    }
    d.writeHead(status, head.statusMessage || (STATUS_CODES[status] ?? ''), headers, noBody ? 'none' : contentLength, codings);
  }

  onData(chunk: Buffer): boolean {
    if (this.d.write(chunk)) return true;
    // The client reads slower than the upstream sends: the connection waits until it drains.
    const conn = this.conn;
    this.d.onceDrain(() => conn?.resume());
    return false;
  }

  onComplete(): void {
    this.conn = undefined;
    this.d.end();
  }

  onError(err: Error): void {
    this.conn = undefined;
    this.d.detachBody();
    this.owner.failed(this, err);
  }

  private readonly onClose = (): void => {
    this.closed = true;
    // A client that leaves mid-request takes the upstream request with it (that connection closes).
    const conn = this.conn;
    this.conn = undefined;
    conn?.abort();
    this.owner.closed(this);
    this.onEnd(this.d);
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
