import net, { type Socket } from 'node:net';
import tls from 'node:tls';
import { Http1Parser, type Http1Head, type Http1ParseError } from '../http1/llhttp.js';
import { UpstreamTimeoutError } from './upstream-error.js';

/** What an upstream connection reports about the response to the request it carries. */
export interface UpstreamHandler {
  /** A final (non-1xx) response's head. */
  onHeaders(head: Http1Head): void;
  /** A piece of the body; false = the client is slow: the connection waits for `resume()`. */
  onData(chunk: Buffer): boolean;
  onComplete(): void;
  /** The request failed (connection broke, timed out, bad response); the connection is gone. */
  onError(err: Error): void;
}

/** A failure of the connection itself; `reused`: it had carried a response before this request. */
export class UpstreamConnectionError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly reused: boolean,
  ) {
    super(message);
  }
}

/** Where and how to connect. */
export interface DialOptions {
  host: string;
  port: number;
  /** TLS with this SNI name (undefined = plain TCP). '' = TLS without SNI (an IP address). */
  tlsServername: string | undefined;
  dialTimeout: number;
}

/**
 * One keep-alive connection to a backend, carrying one request at a time: writes the request
 * head and body, parses the response with llhttp and hands it to the request's handler. The
 * pool takes it back when a response completed on a connection both sides keep open.
 */
export class UpstreamConnection {
  /** Responses completed on this connection. */
  served = 0;
  /** When it went idle (for the pool's idle sweep). */
  idleSince = 0;
  /** The SNI name it was opened with (TLS); idle connections are reused only for the same. */
  readonly servername: string;
  private handler: UpstreamHandler | undefined;
  private readonly parser: Http1Parser;
  private gotResponseBytes = false;
  private requestSent = false;
  private keepAlive = false;
  private headTimer: NodeJS.Timeout | undefined;
  private headTimeout = 0;
  private isHead = false;
  /** The current request's final (non-1xx) response head arrived. */
  private finalHead = false;
  private broken = false;
  /** A response began while no request was out. */
  private unasked = false;
  /** The pool's: told when the connection can carry another request, or is gone. */
  onIdle: ((conn: UpstreamConnection) => void) | undefined;
  onGone: ((conn: UpstreamConnection) => void) | undefined;

  private constructor(readonly socket: Socket, servername: string) {
    this.servername = servername;
    this.parser = new Http1Parser('response', {
      onMessageBegin: () => {
        // Bytes nobody asked for (a response to no request): this connection cannot be trusted.
        if (this.handler === undefined) this.unasked = true;
        this.gotResponseBytes = true;
      },
      onHead: (head) => this.onHead(head),
      onBody: (chunk) => {
        if (this.handler && !this.handler.onData(chunk)) this.pause();
      },
      onComplete: () => this.onComplete(),
      onExecute: (ret) => this.afterExecute(ret),
    });
    // The parser reads the socket itself when it can (plain TCP); else it is fed from 'data'.
    if (!this.parser.consume(socket)) socket.on('data', this.onData);
    socket.on('error', this.onSocketError);
    socket.on('end', this.onEnd);
    socket.once('close', this.onClose);
  }

  /** Opens a connection; `cb` gets it once connected (TLS: once the handshake verified the peer). */
  static dial(options: DialOptions, cb: (err: Error | null, conn?: UpstreamConnection) => void): void {
    const { host, port, tlsServername, dialTimeout } = options;
    const socket =
      tlsServername === undefined
        ? net.connect({ host, port, noDelay: true })
        : tls.connect({ host, port, servername: tlsServername || undefined, noDelay: true } as tls.ConnectionOptions);
    let done = false;
    const timer =
      dialTimeout > 0
        ? setTimeout(() => finish(new UpstreamTimeoutError('connect', dialTimeout)), dialTimeout)
        : undefined;
    function finish(err: Error | null): void {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      socket.off('error', finish);
      socket.off(tlsServername === undefined ? 'connect' : 'secureConnect', onConnect);
      if (err) {
        socket.on('error', noop); // a second error of a failed dial (TLS can send one) is not news
        socket.destroy();
        cb(err);
        return;
      }
      cb(null, new UpstreamConnection(socket, tlsServername ?? ''));
    }
    const onConnect = (): void => finish(null);
    socket.once('error', finish);
    socket.once(tlsServername === undefined ? 'connect' : 'secureConnect', onConnect);
  }

  /** Sends a request: its head now; a body follows through `writeBody` / `endBody`. */
  request(head: string, handler: UpstreamHandler, opts: { isHead: boolean; hasBody: boolean; headerTimeout: number }): void {
    this.handler = handler;
    this.gotResponseBytes = false;
    this.finalHead = false;
    this.isHead = opts.isHead;
    this.requestSent = !opts.hasBody;
    this.headTimeout = opts.headerTimeout;
    if (opts.headerTimeout > 0) this.headTimer = setTimeout(this.onHeadTimeout, opts.headerTimeout);
    this.socket.write(head, 'latin1');
  }

  /** A piece of the request body, chunk-framed when `chunked`; false = wait for `onceDrain`. */
  writeBody(data: Buffer, chunked: boolean): boolean {
    if (this.broken || data.length === 0) return true;
    const s = this.socket;
    if (!chunked) return s.write(data);
    s.cork();
    s.write(`${data.length.toString(16)}\r\n`, 'latin1');
    s.write(data);
    const ok = s.write('\r\n', 'latin1');
    s.uncork();
    return ok;
  }

  /** The request body is complete (the last chunk, when chunked). */
  endBody(chunked: boolean): void {
    this.requestSent = true;
    if (!this.broken && chunked) this.socket.write('0\r\n\r\n', 'latin1');
  }

  onceDrain(cb: () => void): void {
    this.socket.once('drain', cb);
  }

  /** The client drained: read the response again. */
  resume(): void {
    if (this.parser.consumed) this.parser.readStart();
    else this.socket.resume();
  }

  private pause(): void {
    if (this.parser.consumed) this.parser.readStop();
    else this.socket.pause();
  }

  /** Gives up on the current request (the client left): the connection cannot be reused. */
  abort(): void {
    this.handler = undefined;
    this.destroy();
  }

  destroy(): void {
    this.broken = true;
    this.clearHeadTimer();
    this.socket.destroy();
  }

  get idle(): boolean {
    return this.handler === undefined && !this.broken;
  }

  // ── socket and parser events ─────────────────────────────────────────────

  private readonly onData = (data: Buffer): void => {
    if (this.handler === undefined) {
      this.destroy();
      return;
    }
    this.afterExecute(this.parser.execute(data));
  };

  private afterExecute(ret: number | Http1ParseError): void {
    if (this.unasked) {
      this.destroy();
    } else if (typeof ret !== 'number') {
      this.fail(new UpstreamConnectionError(`invalid response from the server: ${ret.reason ?? ret.code}`, 'UPSTREAM_BAD_RESPONSE', false));
    }
  }

  private onHead(head: Http1Head): boolean {
    // 1xx are informational (103 Early Hints, an unasked 100): not relayed, the final one follows.
    if (head.statusCode < 200) return false;
    this.clearHeadTimer();
    this.finalHead = true;
    this.keepAlive = head.keepAlive;
    this.handler?.onHeaders(head);
    return this.isHead || head.statusCode === 204 || head.statusCode === 304;
  }

  private onComplete(): void {
    const h = this.handler;
    // A 1xx message completes too; only a final response ends the exchange.
    if (h === undefined || !this.finalHead) return;
    this.handler = undefined;
    this.served++;
    // Back to the pool first, so that what the completion starts (the client's next
    // pipelined request) may already reuse it.
    if (this.keepAlive && this.requestSent && !this.broken) this.onIdle?.(this);
    else this.destroy();
    h.onComplete();
  }

  private readonly onHeadTimeout = (): void => {
    this.headTimer = undefined;
    this.fail(new UpstreamTimeoutError('response headers', this.headTimeout));
  };

  private readonly onSocketError = (err: NodeJS.ErrnoException): void => {
    this.fail(this.asConnectionError(err.message, err.code ?? 'ECONNRESET'));
  };

  private readonly onEnd = (): void => {
    if (this.handler === undefined) {
      this.destroy();
      return;
    }
    // A body delimited by the close completes here; anything else was cut short.
    const err = this.parser.finish();
    if (this.handler === undefined) {
      this.destroy();
      return;
    }
    this.fail(this.asConnectionError(err ? `the server closed the connection mid-response (${err.code})` : 'the server closed the connection', 'UPSTREAM_CLOSED'));
  };

  private readonly onClose = (): void => {
    this.broken = true;
    this.clearHeadTimer();
    this.parser.unconsume();
    // Freed once the stack has unwound (a close can follow a destroy from a parser callback).
    setImmediate(() => this.parser.close());
    if (this.handler) this.fail(this.asConnectionError('the server closed the connection', 'UPSTREAM_CLOSED'));
    this.onGone?.(this);
  };

  private asConnectionError(message: string, code: string): Error {
    // Reused and silent: most likely the server closed this keep-alive connection as we sent.
    return new UpstreamConnectionError(message, code, this.served > 0 && !this.gotResponseBytes);
  }

  private fail(err: Error): void {
    const h = this.handler;
    this.handler = undefined;
    this.destroy();
    h?.onError(err);
  }

  private clearHeadTimer(): void {
    if (this.headTimer) {
      clearTimeout(this.headTimer);
      this.headTimer = undefined;
    }
  }
}

function noop(): void {}
