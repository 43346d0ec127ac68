/**
 * The transfer codings a chunked body still carries once llhttp has undone the chunking: the
 * joined Transfer-Encoding values minus a lone `chunked` (llhttp has made sure chunked is the
 * last one). `gzip, chunked` → `gzip, chunked` (named again when the body is re-chunked);
 * `chunked` or nothing → undefined.
 */
export function codingsBeyondChunked(joined: string | undefined): string | undefined {
  return joined === undefined || /^\s*chunked\s*$/i.test(joined) ? undefined : joined;
}

/** Transfer-Encoding values of several header lines, as one list (RFC 9110 §5.3). */
export function joinCodings(prior: string | undefined, value: string): string {
  return prior === undefined ? value : `${prior}, ${value}`;
}
