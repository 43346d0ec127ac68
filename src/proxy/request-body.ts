import type { IncomingMessage } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';

export type Body =
  | { kind: 'none' }
  /** Read whole: can be sent again on a retry. */
  | { kind: 'buffered'; data: Buffer }
  /** Too big to hold: streamed once (what was read so far, then the rest). */
  | { kind: 'streamed'; stream: Readable };

export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Reads a request body up to `limit` bytes so the request can be retried. A body that turns
 * out larger is not held: the bytes read so far and the rest of the request stream on.
 */
export function readBodyUpTo(req: IncomingMessage, limit: number): Promise<Body> {
  if (!hasBody(req)) return Promise.resolve({ kind: 'none' });
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve({ kind: 'streamed', stream: req });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onEnd);
      req.off('close', onEnd);
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      if (size <= limit) return;
      cleanup();
      req.pause();
      const rest = new PassThrough();
      for (const c of chunks) rest.write(c);
      req.pipe(rest);
      resolve({ kind: 'streamed', stream: rest });
    };
    const onEnd = (): void => {
      cleanup();
      resolve({ kind: 'buffered', data: Buffer.concat(chunks, size) });
    };
    req.on('data', onData);
    req.once('end', onEnd);
    // A client that goes away mid-body: settle anyway (the caller sees its response is gone).
    req.once('error', onEnd);
    req.once('close', onEnd);
  });
}
