import { codingsBeyondChunked, joinCodings } from '../http1/transfer-codings.js';
import { connectionListed, NOT_FORWARDED } from './hop-by-hop.js';

/** Lengths of the names never forwarded (and of Content-Length): others need no lower-casing. */
const CHECKED_LENGTHS = new Set([...NOT_FORWARDED, 'content-length'].map((name) => name.length));

/** The headers to send the client, and how the upstream delimited the body. */
export interface ClientResponseHeaders {
  /** `[name, value, …]`: repeated headers such as Set-Cookie stay separate lines. */
  headers: string[];
  /** The upstream's Content-Length (not in `headers` unless kept), or -1. */
  contentLength: number;
  /** Codings before chunked (`gzip, chunked`): still on the body, to be sent on; else undefined. */
  codings: string | undefined;
}

/**
 * The upstream response's headers (llhttp's `[name, value, …]`, latin1: any byte passes
 * through unchanged) as the client gets them: hop-by-hop headers and those the upstream's
 * Connection header lists are dropped (an upstream `Connection: close` ends its own
 * connection, not the client's), and so is Transfer-Encoding: each side frames its own body.
 * Content-Length is taken out and returned, except with `keepLength` (a response without a
 * body — HEAD, 204, 304 — where it is information, not framing). `setCookie` is added last.
 */
export function clientResponseHeaders(raw: readonly string[], setCookie: string | undefined, keepLength: boolean): ClientResponseHeaders {
  const out: string[] = [];
  let listed: string[] | undefined;
  let contentLength = -1;
  let chunked = false;
  let codings: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (CHECKED_LENGTHS.has(name.length)) {
      const lower = name.toLowerCase();
      if (lower === 'content-length') {
        // llhttp has refused differing or malformed values.
        contentLength = Number(raw[i + 1]);
        if (!keepLength) continue;
      } else if (NOT_FORWARDED.has(lower)) {
        if (lower === 'connection') listed = connectionListed(raw[i + 1]);
        else if (lower === 'transfer-encoding') {
          chunked = true;
          codings = joinCodings(codings, raw[i + 1]!);
        }
        continue;
      }
    }
    out.push(name, raw[i + 1]!);
  }
  if (listed !== undefined) dropListed(out, listed);
  if (setCookie !== undefined) out.push('Set-Cookie', setCookie);
  // With Transfer-Encoding, a Content-Length is to be ignored (RFC 9112 §6.3).
  return { headers: out, contentLength: chunked ? -1 : contentLength, codings: codingsBeyondChunked(codings) };
}

/** Removes the headers a Connection header named (rare: most list only keep-alive/close). */
function dropListed(headers: string[], listed: readonly string[]): void {
  let kept = 0;
  for (let i = 0; i < headers.length; i += 2) {
    if (listed.includes(headers[i]!.toLowerCase())) continue;
    headers[kept++] = headers[i]!;
    headers[kept++] = headers[i + 1]!;
  }
  headers.length = kept;
}
