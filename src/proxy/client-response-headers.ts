import { connectionListed, NOT_FORWARDED } from './hop-by-hop.js';

/** Lengths of the names never forwarded: other names need no lower-casing to be let through. */
const SKIPPED_LENGTHS = new Set([...NOT_FORWARDED].map((name) => name.length));

/**
 * The upstream response's headers (undici's raw `[name, value, …]` buffers) as the flat list
 * `res.writeHead` takes, so repeated headers such as Set-Cookie stay separate lines. Values are
 * decoded as latin1, the way Node writes them back: any byte passes through unchanged.
 * Hop-by-hop headers and those the upstream's Connection header lists are dropped (an upstream
 * `Connection: close` ends its own connection, not the client's), and so is Transfer-Encoding:
 * Node frames the body for the client itself. `setCookie`, when given, is added last.
 */
export function clientResponseHeaders(raw: readonly Buffer[], setCookie: string | undefined): string[] {
  const out: string[] = [];
  let listed: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1');
    if (SKIPPED_LENGTHS.has(name.length)) {
      const lower = name.toLowerCase();
      if (NOT_FORWARDED.has(lower)) {
        if (lower === 'connection') listed = connectionListed(raw[i + 1]!.toString('latin1'));
        continue;
      }
    }
    out.push(name, raw[i + 1]!.toString('latin1'));
  }
  if (listed !== undefined) dropListed(out, listed);
  if (setCookie !== undefined) out.push('set-cookie', setCookie);
  return out;
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
