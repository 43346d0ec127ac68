import type { BodySink, Downstream } from '../http1/downstream.js';

export type Body =
  | { kind: 'none' }
  /** Read whole: can be sent again on a retry. */
  | { kind: 'buffered'; data: Buffer }
  /** Too big to hold: streamed once (`prefix`, the part read so far, then the rest from `source`). */
  | { kind: 'streamed'; prefix: Buffer[]; source: Downstream };

export const NO_BODY: Body = { kind: 'none' };

export function hasBody(d: Downstream): boolean {
  return d.head.framing !== 'none';
}

/** A request body that is sent as it arrives, never held. */
export function streamedBody(d: Downstream): Body {
  return { kind: 'streamed', prefix: [], source: d };
}

/**
 * Reads a request body up to `limit` bytes so the request can be retried. A body that turns
 * out larger is not held: the bytes read so far and the rest of the request stream on. Never
 * settles when the client leaves mid-body (the exchange is closed then and asks no more).
 */
export function readBodyUpTo(d: Downstream, limit: number): Promise<Body> {
  if (!hasBody(d)) return Promise.resolve(NO_BODY);
  const declared = d.head.framing === 'length' ? Number(d.head.headers['content-length']) : NaN;
  if (declared > limit) return Promise.resolve(streamedBody(d));
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const collector: BodySink = {
      chunk(data) {
        chunks.push(data);
        size += data.length;
        if (size > limit) {
          d.detachBody();
          resolve({ kind: 'streamed', prefix: chunks, source: d });
          return false; // hold the client until the upstream attempt takes the body
        }
        return true;
      },
      end() {
        if (size <= limit) resolve({ kind: 'buffered', data: Buffer.concat(chunks, size) });
      },
    };
    d.attachBody(collector);
  });
}
