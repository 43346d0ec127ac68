import { createRequire } from 'node:module';
import type { Socket } from 'node:net';

/**
 * llhttp, the HTTP/1.1 parser of Node's own http server and client, reached through Node's
 * `_http_common` module: the same C parser (strict framing, request-smuggling checks, header
 * size limit) without the IncomingMessage/ServerResponse machinery around it, which cost more
 * than half of a proxied request's CPU (bench/RESULTS.md, "Engine"). Nothing here is
 * Switchyard-specific; the rest of the engine sees only `Http1Parser`.
 */

/** What the parser reports when a message's head is complete. */
export interface Http1Head {
  readonly versionMajor: number;
  readonly versionMinor: number;
  /** `[name, value, …]` as received (names keep their case; values are latin1 strings). */
  readonly rawHeaders: string[];
  /** Requests: the method name; responses: ''. */
  readonly method: string;
  /** Requests: the request target as received; responses: ''. */
  readonly url: string;
  /** Responses: the status code; requests: 0. */
  readonly statusCode: number;
  readonly statusMessage: string;
  /** An Upgrade/CONNECT request, or a 101 response: the bytes after the head are not HTTP. */
  readonly upgrade: boolean;
  /** llhttp's verdict from the version and Connection header. */
  readonly keepAlive: boolean;
}

export interface Http1Handlers {
  /** The first byte of a message arrived. */
  onMessageBegin?(): void;
  /** Return true to tell the parser that this message has no body (a response to HEAD). */
  onHead(head: Http1Head): boolean | void;
  onBody(chunk: Buffer): void;
  onComplete(): void;
  /**
   * After the parser read from a consumed socket (see `consume`): the bytes of that read it
   * parsed (fewer after an upgrade's head: the rest is in `currentBuffer()`), or its error.
   */
  onExecute?(ret: number | Http1ParseError): void;
}

/** A parse failure: `code` is llhttp's (`HPE_INVALID_METHOD`, `HPE_HEADER_OVERFLOW`, …). */
export interface Http1ParseError extends Error {
  code: string;
  reason?: string;
}

interface NativeParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | Http1ParseError;
  finish(): Http1ParseError | undefined;
  close(): void;
  consume(handle: object): void;
  unconsume(): void;
  getCurrentBuffer(): Buffer;
  [key: number]: unknown;
}

interface NativeParserClass {
  new (): NativeParser;
  REQUEST: number;
  RESPONSE: number;
  kOnMessageBegin: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
  kOnExecute: number;
}

const common = createRequire(import.meta.url)('_http_common') as { HTTPParser?: NativeParserClass; methods?: string[] };
if (typeof common.HTTPParser !== 'function' || !Array.isArray(common.methods) || typeof common.HTTPParser.kOnHeadersComplete !== 'number') {
  throw new Error(`switchyard needs Node.js's built-in HTTP parser (_http_common.HTTPParser), which Node ${process.version} does not expose; use Node.js 20 or 22`);
}
const Native: NativeParserClass = common.HTTPParser;
const methods: string[] = common.methods;
const { kOnMessageBegin, kOnHeaders, kOnHeadersComplete, kOnBody, kOnMessageComplete, kOnExecute } = Native;

/** A resource object for async_hooks (llhttp's callbacks run in its scope); one shared is enough. */
const RESOURCE = Object.freeze({});

export type Http1Kind = 'request' | 'response';

/**
 * One connection's parser. `execute` feeds bytes and runs the handlers synchronously; it
 * returns how many bytes were parsed (fewer than given after an upgrade's head) or the error.
 */
export class Http1Parser {
  private readonly native: NativeParser;
  /** Headers and URL llhttp flushed early (more than 32 header lines or a long head). */
  private partialHeaders: string[] = [];
  private partialUrl = '';
  private handle: { reading?: boolean; readStart(): number; readStop(): number } | undefined;

  constructor(
    private readonly kind: Http1Kind,
    private readonly handlers: Http1Handlers,
    private readonly maxHeaderSize = 0,
  ) {
    const native = new Native();
    this.native = native;
    native.initialize(kind === 'request' ? Native.REQUEST : Native.RESPONSE, RESOURCE, maxHeaderSize, 0);
    native[kOnHeaders] = (headers: string[], url: string): void => {
      for (let i = 0; i < headers.length; i++) this.partialHeaders.push(headers[i]!);
      this.partialUrl += url;
    };
    native[kOnHeadersComplete] = (
      versionMajor: number,
      versionMinor: number,
      headers: string[] | undefined,
      method: number,
      url: string | undefined,
      statusCode: number,
      statusMessage: string | undefined,
      upgrade: boolean,
      keepAlive: boolean,
    ): number => {
      if (headers === undefined) {
        headers = this.partialHeaders;
        this.partialHeaders = [];
      }
      if (url === undefined) {
        url = this.partialUrl;
        this.partialUrl = '';
      }
      const skipBody = this.handlers.onHead({
        versionMajor,
        versionMinor,
        rawHeaders: headers,
        method: this.kind === 'request' ? (methods[method] ?? '') : '',
        url: url ?? '',
        statusCode: statusCode ?? 0,
        statusMessage: statusMessage ?? '',
        upgrade,
        keepAlive,
      });
      return skipBody === true ? 1 : 0;
    };
    native[kOnBody] = (chunk: Buffer): void => this.handlers.onBody(chunk);
    native[kOnMessageComplete] = (): void => {
      // Trailers (header lines after a chunked body) arrive through kOnHeaders just before this:
      // they are not forwarded, and must not leak into the next message's head.
      if (this.partialHeaders.length > 0) this.partialHeaders = [];
      this.partialUrl = '';
      this.handlers.onComplete();
    };
    native[kOnMessageBegin] = handlers.onMessageBegin ? () => handlers.onMessageBegin!() : undefined;
    native[kOnExecute] = handlers.onExecute ? (ret: number | Http1ParseError) => handlers.onExecute!(ret) : undefined;
  }

  /**
   * Lets the parser read `socket` itself, in C++, as Node's http server does: no 'data' event,
   * no Buffer or stream bookkeeping per read (EOF and errors still reach the socket's own
   * 'end'/'error'/'close'). Only for a plain TCP socket; returns false when it cannot, and the
   * caller feeds `execute` from 'data' instead. Reading is then started and stopped with
   * `readStart`/`readStop`, not `pause()`/`resume()`.
   */
  consume(socket: Socket): boolean {
    const handle = (socket as unknown as { _handle?: { isStreamBase?: boolean; reading?: boolean; readStart(): number; readStop(): number } })._handle;
    if (!handle?.isStreamBase || (socket as { encrypted?: boolean }).encrypted) return false;
    this.native.consume(handle);
    this.handle = handle;
    return true;
  }

  /** Gives the socket back to its stream (an upgrade: the rest is not HTTP). */
  unconsume(): void {
    if (!this.handle) return;
    this.native.unconsume();
    this.handle = undefined;
  }

  /** Consumed: the data of the read being parsed (what follows an upgrade's head is in it). */
  currentBuffer(): Buffer {
    return this.native.getCurrentBuffer();
  }

  /**
   * Consumed: stop or restart reading the socket (back-pressure, pipelining). `reading` is
   * net.Socket's own flag, kept true to what the handle does, as Node's http server keeps it.
   */
  readStop(): void {
    const h = this.handle;
    if (h?.reading) {
      h.reading = false;
      h.readStop();
    }
  }

  readStart(): void {
    const h = this.handle;
    if (h && !h.reading) {
      h.reading = true;
      h.readStart();
    }
  }

  get consumed(): boolean {
    return this.handle !== undefined;
  }

  execute(data: Buffer): number | Http1ParseError {
    return this.native.execute(data);
  }

  /** The peer closed: completes a message delimited by the close, or says what was cut short. */
  finish(): Http1ParseError | undefined {
    return this.native.finish();
  }

  /** Frees the native parser (giving a consumed socket back first); unusable afterwards. */
  close(): void {
    this.unconsume();
    this.native.close();
  }
}
