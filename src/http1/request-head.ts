import type { IncomingHttpHeaders } from 'node:http';
import type { Http1Head } from './llhttp.js';
import { codingsBeyondChunked, joinCodings } from './transfer-codings.js';

/** Headers of which Node keeps only the first occurrence in `req.headers` (its matchKnownFields). */
const FIRST_WINS = new Set([
  'content-type', 'content-length', 'user-agent', 'referer', 'host', 'authorization', 'proxy-authorization',
  'if-modified-since', 'if-unmodified-since', 'from', 'location', 'max-forwards', 'retry-after', 'etag',
  'last-modified', 'server', 'age', 'expires',
]);

/** How the request's body is delimited on the wire (RFC 9112 §6). */
export type BodyFraming = 'none' | 'length' | 'chunked';

/**
 * A client request's head as the entry point parsed it: what routing, balancing and
 * forwarding read. `headers` (lower-cased names, repeated ones joined the way Node's
 * `req.headers` does) is built on first use: the common path reads only `rawHeaders`.
 */
export class RequestHead {
  readonly method: string;
  readonly url: string;
  /** `1.1` or `1.0` (llhttp refuses other versions). */
  readonly httpVersion: string;
  readonly rawHeaders: string[];
  readonly upgrade: boolean;
  /** The client asked to keep the connection open (llhttp, from the version and Connection). */
  readonly keepAlive: boolean;
  /** The Host header ('' when absent or empty). */
  readonly host: string;
  /** A Host header was sent (HTTP/1.1 requires one, even empty). */
  readonly hasHost: boolean;
  readonly framing: BodyFraming;
  /** The Transfer-Encoding to send the body on with (`chunked`, or e.g. `gzip, chunked`). */
  readonly transferEncoding: string;
  /** The client sent `Expect: 100-continue`. */
  readonly expectsContinue: boolean;
  /** The whole body (if any) has arrived. */
  complete = false;
  private lowered: IncomingHttpHeaders | undefined;

  constructor(head: Http1Head) {
    this.method = head.method;
    this.url = head.url;
    this.httpVersion = head.versionMinor === 0 && head.versionMajor === 1 ? '1.0' : '1.1';
    this.rawHeaders = head.rawHeaders;
    this.upgrade = head.upgrade;
    this.keepAlive = head.keepAlive;
    let host: string | undefined;
    let framing: BodyFraming = 'none';
    let expectsContinue = false;
    let codings: string | undefined;
    const raw = head.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      // Only names of these lengths matter here: no lower-casing for the rest.
      switch (name.length) {
        case 4:
          if (host === undefined && name.toLowerCase() === 'host') host = raw[i + 1]!;
          break;
        case 6:
          if (name.toLowerCase() === 'expect' && raw[i + 1]!.toLowerCase() === '100-continue') expectsContinue = true;
          break;
        case 14:
          // llhttp has refused a request with both, or with a bad length.
          if (framing === 'none' && name.toLowerCase() === 'content-length' && raw[i + 1] !== '0') framing = 'length';
          break;
        case 17:
          if (name.toLowerCase() === 'transfer-encoding') {
            framing = 'chunked';
            codings = joinCodings(codings, raw[i + 1]!);
          }
          break;
      }
    }
    this.host = host ?? '';
    this.hasHost = host !== undefined;
    this.framing = framing;
    // Codings before chunked (gzip, chunked) stay on the body llhttp hands over: sent on with it.
    this.transferEncoding = codingsBeyondChunked(codings) ?? 'chunked';
    this.expectsContinue = expectsContinue && this.httpVersion === '1.1';
  }

  /** Lower-cased headers, repeated ones joined as Node joins them (Set-Cookie stays a list). */
  get headers(): IncomingHttpHeaders {
    return (this.lowered ??= lowerCased(this.rawHeaders));
  }
}

function lowerCased(raw: readonly string[]): IncomingHttpHeaders {
  const out: Record<string, string | string[]> = Object.create(null);
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    const prior = out[name];
    if (prior === undefined) out[name] = name === 'set-cookie' ? [value] : value;
    else if (name === 'set-cookie') (prior as string[]).push(value);
    else if (name === 'cookie') out[name] = `${prior as string}; ${value}`;
    else if (!FIRST_WINS.has(name)) out[name] = `${prior as string}, ${value}`;
  }
  return out as IncomingHttpHeaders;
}
