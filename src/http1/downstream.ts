import type { RequestNote } from '../access-log/access-log-entry.js';
import type { RequestHead } from './request-head.js';

/** Where a request body goes: `chunk` returns false when the receiver wants no more for now. */
export interface BodySink {
  chunk(data: Buffer): boolean;
  end(): void;
}

/** What a Downstream needs of its client connection. */
export interface DownstreamConnection {
  /** Writes response bytes to the client; false = the socket's buffer is full (wait for drain). */
  write(data: string | Buffer, data2?: Buffer, data3?: string): boolean;
  onceDrain(cb: () => void): void;
  pauseReading(): void;
  resumeReading(): void;
  /** The response of `d` is complete; `keepAlive` false closes the connection after it. */
  finished(d: Downstream, keepAlive: boolean): void;
  /** Cuts the connection (the client sees a broken response). */
  destroy(): void;
}

/** How much request body may wait for an upstream connection before the client is paused. */
const PENDING_BODY_LIMIT = 64 * 1024;

/**
 * One request from a client and the response to it: the request's head, its body as it
 * arrives, and the writer of the response (status line and headers framed for this client's
 * HTTP version, the body as is, or chunked when its length is unknown). `onClose` runs once,
 * when the response is complete or the connection is cut, however that happens.
 */
export class Downstream {
  /** Status and headers went to the client. */
  headersSent = false;
  /** Complete, or cut: nothing more can be written. */
  closed = false;
  /** Close the client connection after this response (the body was not read to its end). */
  closeAfter = false;
  /** Runs once when the request is over (response complete, or connection cut). */
  onClose: ((d: Downstream) => void) | undefined;
  /** Epoch ms when the head arrived. */
  readonly startedAt = Date.now();
  /** The status sent (0 = none yet). */
  status = 0;
  /** Response body bytes written. */
  bytesSent = 0;
  /** What the access log needs from routing and forwarding; only when there is one. */
  note: RequestNote | undefined;
  private pendingHead: string | undefined;
  private chunked = false;
  private noBody = false;
  private keepAlive = false;
  private sink: BodySink | undefined;
  private pending: Buffer[] = [];
  private pendingSize = 0;
  private bodyEnded: boolean;
  private pausedByUs = false;

  constructor(
    readonly head: RequestHead,
    private readonly conn: DownstreamConnection,
  ) {
    this.bodyEnded = head.framing === 'none';
    if (this.bodyEnded) head.complete = true;
  }

  // ── the request body ─────────────────────────────────────────────────────

  /** From the parser: a piece of the request body. */
  pushBody(data: Buffer): void {
    if (this.sink) {
      if (!this.sink.chunk(data)) this.pause();
      return;
    }
    this.pending.push(data);
    this.pendingSize += data.length;
    if (this.pendingSize > PENDING_BODY_LIMIT) this.pause();
  }

  /** From the parser: the request body is complete. */
  endBody(): void {
    this.bodyEnded = true;
    this.head.complete = true;
    this.sink?.end();
  }

  /** Sends the body (what arrived so far, then the rest) to `sink`. One sink at a time. */
  attachBody(sink: BodySink): void {
    this.sink = sink;
    const pending = this.pending;
    this.pending = [];
    this.pendingSize = 0;
    let more = true;
    for (const data of pending) more = sink.chunk(data) && more;
    if (this.bodyEnded) sink.end();
    else if (more) this.resume();
    else this.pause();
  }

  /** The sink goes away (an attempt failed): the rest of the body is held again. */
  detachBody(): void {
    this.sink = undefined;
  }

  /** The sink drained: read the client again. */
  resume(): void {
    if (!this.pausedByUs) return;
    this.pausedByUs = false;
    this.conn.resumeReading();
  }

  private pause(): void {
    if (this.pausedByUs || this.bodyEnded) return;
    this.pausedByUs = true;
    this.conn.pauseReading();
  }

  // ── the response ─────────────────────────────────────────────────────────

  /**
   * Status line and headers (`[name, value, …]`, already free of hop-by-hop and framing
   * headers). `length`: the body's Content-Length, -1 when unknown (chunked for HTTP/1.1
   * clients; for HTTP/1.0 the connection's close ends it), or 'none' for a response without
   * a body (HEAD, 204, 304: headers are sent as they are). `codings`: an unknown-length body's
   * transfer codings when more than chunked (`gzip, chunked`).
   */
  writeHead(status: number, reason: string, headers: readonly string[], length: number | 'none', codings?: string): void {
    if (this.closed || this.headersSent) return;
    const v11 = this.head.httpVersion === '1.1';
    // A body not read to its end yet would be taken for the next request: this response closes.
    let keepAlive = this.head.keepAlive && !this.closeAfter && this.bodyEnded;
    let head = `HTTP/1.1 ${status} ${reason}\r\n`;
    for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
    if (length === 'none') {
      this.noBody = true;
    } else if (length >= 0) {
      head += `Content-Length: ${length}\r\n`;
    } else if (v11) {
      // Codings other than chunked (`gzip, chunked`) are still on the body: they are named again.
      head += `Transfer-Encoding: ${codings ?? 'chunked'}\r\n`;
      this.chunked = true;
    } else {
      keepAlive = false; // the close delimits the body
    }
    if (!keepAlive) head += 'Connection: close\r\n';
    else if (!v11) head += 'Connection: keep-alive\r\n';
    this.keepAlive = keepAlive;
    this.pendingHead = `${head}\r\n`;
    this.headersSent = true;
    this.status = status;
  }

  /** A piece of the response body; false = wait for `onceDrain`. */
  write(data: Buffer): boolean {
    if (this.closed || this.noBody || data.length === 0) return true;
    this.bytesSent += data.length;
    const head = this.pendingHead;
    this.pendingHead = undefined;
    if (this.chunked) {
      const size = `${head ?? ''}${data.length.toString(16)}\r\n`;
      return this.conn.write(size, data, '\r\n');
    }
    return head === undefined ? this.conn.write(data) : this.conn.write(head, data);
  }

  onceDrain(cb: () => void): void {
    this.conn.onceDrain(cb);
  }

  /** The response is complete. */
  end(): void {
    if (this.closed) return;
    const tail = this.chunked ? '0\r\n\r\n' : '';
    const head = this.pendingHead;
    this.pendingHead = undefined;
    if (head !== undefined || tail !== '') this.conn.write(`${head ?? ''}${tail}`);
    this.close();
    this.conn.finished(this, this.keepAlive);
  }

  /** Cuts the response: the client sees it broke (and the connection goes). */
  destroy(): void {
    if (this.closed) return;
    this.conn.destroy();
  }

  /** Marks the request over and tells whoever listens (once). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sink = undefined;
    // A pause of ours must not outlive the request: the connection's next one would never be read.
    this.resume();
    const cb = this.onClose;
    this.onClose = undefined;
    cb?.(this);
  }
}
