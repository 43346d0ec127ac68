import type { IncomingMessage } from 'node:http';
import { UpstreamTimeoutError } from './upstream-error.js';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
/** The request never reached the server: safe to send elsewhere whatever its method. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL']);
/**
 * The connection broke before any response byte: the server may or may not have acted.
 * UND_ERR_SOCKET is undici's "other side closed" / "closed" (the peer's FIN instead of a response).
 */
const RESET = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

export function isIdempotent(req: IncomingMessage): boolean {
  return IDEMPOTENT.has(req.method ?? 'GET');
}

export function isConnectFailure(err: unknown): boolean {
  if (err instanceof UpstreamTimeoutError) return err.phase === 'connect';
  return NOT_CONNECTED.has((err as NodeJS.ErrnoException | undefined)?.code ?? '');
}

export function isReset(err: unknown): boolean {
  return RESET.has((err as NodeJS.ErrnoException | undefined)?.code ?? '');
}

/**
 * May a failed attempt be sent to another server? Only when its body can be sent again, and
 * then: always when it never connected; after a reset only when the method is idempotent
 * (a reset POST may already have been acted on). A response-header timeout is never retried:
 * the server is busy with it.
 */
export function isRetriable(err: unknown, req: IncomingMessage, bodyReplayable: boolean): boolean {
  if (!bodyReplayable) return false;
  if (isConnectFailure(err)) return true;
  return isReset(err) && isIdempotent(req);
}
