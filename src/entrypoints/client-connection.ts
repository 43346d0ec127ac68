import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { Downstream, type DownstreamConnection } from '../http1/downstream.js';
import { Http1Parser, type Http1Head, type Http1ParseError } from '../http1/llhttp.js';
import { RequestHead } from '../http1/request-head.js';
import type { ForwardInfo } from '../proxy/forwarded-headers.js';

/** What a connection hands to its entry point. */
export interface ConnectionOwner {
  /** A request's head arrived and it is this connection's turn: answer it through `d`. */
  request(d: Downstream, conn: ClientConnection): void;
  /** An Upgrade request: the socket is no longer HTTP; `rest` is what followed the head. */
  upgrade(head: RequestHead, socket: Socket, rest: Buffer, conn: ClientConnection): void;
  /** The connection closed. */
  connectionClosed(conn: ClientConnection): void;
}

export interface ConnectionLimits {
  /** ms a connection may stay idle between requests (respondingTimeouts.idleTimeout); 0 = forever. */
  idleTimeout: number;
  /** ms from a request's first byte to the end of its headers (readHeaderTimeout); 0 = forever. */
  headerTimeout: number;
}

type Phase = 'idle' | 'head' | 'busy';

const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';

/**
 * One client connection speaking HTTP/1.1: parses requests with llhttp, answers them in order
 * (pipelined requests wait their turn, the socket paused), keeps the connection alive when
 * both sides allow, and hands WebSocket upgrades over with the raw socket. Timeouts are checked
 * by the entry point's sweep (`expire`), so a request costs no timer.
 */
export class ClientConnection implements DownstreamConnection {
  private readonly parser: Http1Parser;
  /** The request being answered, then those waiting behind it (pipelining). */
  private readonly queue: Downstream[] = [];
  /** The request whose body the parser is reading. */
  private parsing: Downstream | undefined;
  private upgradeHead: RequestHead | undefined;
  /** The head just parsed asked for an upgrade we do not do (see afterExecute). */
  private declinedUpgrade = false;
  private phase: Phase = 'idle';
  private since: number;
  /** No new requests: shutting down, or the client / a response asked to close. */
  private closing = false;
  private pausedBy = 0;
  private detached = false;
  private parserClosed = false;
  /** What the connection's requests share (peer, trust, port): set by the entry point on accept. */
  info!: ForwardInfo;

  constructor(
    readonly socket: Socket,
    private readonly owner: ConnectionOwner,
    maxHeaderSize: number,
  ) {
    this.since = Date.now();
    socket.setNoDelay(true);
    this.parser = new Http1Parser('request', {
      onMessageBegin: () => {
        if (this.phase === 'idle') {
          this.phase = 'head';
          this.since = Date.now();
        }
      },
      onHead: (head) => this.onHead(head),
      onBody: (chunk) => this.parsing?.pushBody(chunk),
      onComplete: () => {
        const d = this.parsing;
        this.parsing = undefined;
        d?.endBody();
      },
      onExecute: (ret) => this.afterExecute(ret),
    }, maxHeaderSize);
    // The parser reads the socket itself when it can (plain TCP); else it is fed from 'data'.
    if (!this.parser.consume(socket)) socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', noop);
    socket.once('close', this.onSocketClose);
  }

  // ── DownstreamConnection ────────────────────────────────────────────────

  write(data: string | Buffer, data2?: Buffer, data3?: string): boolean {
    const s = this.socket;
    if (s.destroyed) return true;
    if (data2 === undefined) return s.write(data as never, 'latin1' as never);
    s.cork();
    s.write(data as never, 'latin1' as never);
    let ok = s.write(data2);
    if (data3 !== undefined) ok = s.write(data3, 'latin1');
    s.uncork();
    return ok;
  }

  onceDrain(cb: () => void): void {
    this.socket.once('drain', cb);
  }

  pauseReading(): void {
    if (this.pausedBy++ > 0) return;
    if (this.parser.consumed) this.parser.readStop();
    else this.socket.pause();
  }

  resumeReading(): void {
    if (this.pausedBy === 0 || --this.pausedBy > 0 || this.detached) return;
    if (this.parser.consumed) this.parser.readStart();
    else this.socket.resume();
  }

  finished(d: Downstream, keepAlive: boolean): void {
    if (this.queue[0] !== d) return;
    this.queue.shift();
    if (!keepAlive || this.socket.destroyed) {
      this.closing = true;
      this.endSocket();
      return;
    }
    const next = this.queue[0];
    if (next) {
      // A pipelined request that waited for its turn gets its `100 Continue` now.
      if (next.head.expectsContinue && !next.head.complete) this.write(CONTINUE);
      this.resumeReading();
      this.owner.request(next, this);
      return;
    }
    if (this.closing) {
      this.endSocket();
      return;
    }
    this.phase = 'idle';
    this.since = Date.now();
  }

  destroy(): void {
    this.socket.destroy();
  }

  // ── for the entry point ─────────────────────────────────────────────────

  /** No more requests on this connection: closes it now if idle, else after the current response. */
  shutdown(): void {
    if (this.detached) return; // a WebSocket: closed by its forwarder (1001)
    this.closing = true;
    if (this.queue.length === 0 && this.phase !== 'head') this.endSocket();
  }

  /** Called by the entry point's sweep: closes the connection if it waited too long. */
  expire(now: number, limits: ConnectionLimits): void {
    if (this.detached) return;
    if (this.phase === 'idle' && limits.idleTimeout > 0 && now - this.since >= limits.idleTimeout) {
      this.endSocket();
    } else if (this.phase === 'head' && limits.headerTimeout > 0 && now - this.since >= limits.headerTimeout) {
      this.reject(408);
    }
  }

  // ── parsing ──────────────────────────────────────────────────────────────

  private readonly onData = (data: Buffer): void => {
    this.afterExecute(this.parser.execute(data), data);
  };

  /** After a read was parsed: a parse error is answered; an upgrade's head hands the socket over. */
  private afterExecute(ret: number | Http1ParseError, data?: Buffer): void {
    if (typeof ret !== 'number') {
      this.parseFailed(ret);
      return;
    }
    const upgrade = this.upgradeHead;
    if (upgrade !== undefined) {
      this.upgradeHead = undefined;
      const read = data ?? this.parser.currentBuffer();
      this.handOver(upgrade, read.subarray(ret));
    } else if (this.declinedUpgrade) {
      // llhttp stopped after the head of an upgrade we answer as plain HTTP: what followed it in
      // this read (pipelined requests) is parsed now, once this callback has unwound.
      this.declinedUpgrade = false;
      const read = data ?? this.parser.currentBuffer();
      if (ret < read.length) {
        const rest = Buffer.from(read.subarray(ret));
        queueMicrotask(() => {
          if (!this.socket.destroyed) this.afterExecute(this.parser.execute(rest), rest);
        });
      }
    }
  }

  /**
   * The client sent FIN. At the TCP level a client that went away looks the same as one that
   * only half-closed, so, like nginx (499) and Traefik, the connection and whatever it still
   * waits for upstream are given up at once: a client that left must not hold a backend.
   */
  private readonly onEnd = (): void => {
    if (!this.detached) this.socket.destroy();
  };

  private onHead(raw: Http1Head): boolean {
    const head = new RequestHead(raw);
    if (head.upgrade) {
      if (head.method === 'CONNECT' || isWebSocketUpgrade(head)) {
        // Taken over once execute() returns; an upgrade behind pipelined requests is not supported.
        this.upgradeHead = head;
        return false;
      }
      // Any other Upgrade (h2c from `curl --http2`, TLS/1.0 …) is declined by answering in
      // HTTP/1.1, as nginx and Traefik do (RFC 9110 §7.8); Upgrade is hop-by-hop, not forwarded.
      this.declinedUpgrade = true;
    }
    if (!head.keepAlive) this.closing = true;
    const d = new Downstream(head, this);
    this.parsing = head.framing === 'none' ? undefined : d;
    if (head.expectsContinue && this.queue.length === 0) this.write(CONTINUE);
    this.queue.push(d);
    if (this.queue.length === 1) {
      this.phase = 'busy';
      this.owner.request(d, this);
    } else {
      // Pipelined: read no further until the requests before it are answered.
      this.pauseReading();
    }
    return false;
  }

  private handOver(head: RequestHead, rest: Buffer): void {
    if (this.queue.length > 0 || head.method === 'CONNECT') {
      this.reject(head.method === 'CONNECT' ? 405 : 400);
      return;
    }
    this.detached = true;
    this.phase = 'busy';
    this.socket.off('data', this.onData);
    // The socket goes back to its stream (reading, for whoever pipes it); a WebSocket may stay
    // open for days: its parser's memory goes now, not at the close.
    this.parser.readStart();
    this.closeParser();
    this.owner.upgrade(head, this.socket, Buffer.from(rest), this);
  }

  private parseFailed(err: Http1ParseError): void {
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    this.reject(status);
  }

  /** Answers a request we could not take (bad syntax, timeout) and closes the connection. */
  private reject(status: number): void {
    this.closing = true;
    this.socket.off('data', this.onData);
    this.parser.readStop();
    if (this.queue.length > 0) {
      // A response is in progress for an earlier request: the connection ends after it.
      return;
    }
    if (this.socket.writable) {
      this.socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    }
    this.socket.destroySoon();
  }

  private endSocket(): void {
    if (this.socket.destroyed) return;
    this.socket.off('data', this.onData);
    this.parser.readStop();
    this.socket.end();
    this.socket.destroySoon();
  }

  private closeParser(): void {
    if (this.parserClosed) return;
    this.parserClosed = true;
    this.parser.unconsume();
    // Freed once the stack has unwound: this may run inside one of the parser's callbacks.
    setImmediate(() => this.parser.close());
  }

  private readonly onSocketClose = (): void => {
    this.closeParser();
    const open = this.queue.splice(0);
    if (this.parsing && !open.includes(this.parsing)) open.push(this.parsing);
    this.parsing = undefined;
    for (const d of open) d.close();
    this.owner.connectionClosed(this);
  };
}

function noop(): void {}

/** `Upgrade: websocket` (any case, possibly among other protocols). */
function isWebSocketUpgrade(head: RequestHead): boolean {
  const upgrade = head.headers.upgrade;
  return typeof upgrade === 'string' && /(?:^|,)\s*websocket\s*(?:,|$)/i.test(upgrade);
}
