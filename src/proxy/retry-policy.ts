import { UpstreamTimeoutError } from './upstream-error.js';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
/** The request never reached the server: safe to send elsewhere whatever its method. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL']);
/**
 * The connection broke before any response byte: the server may or may not have acted.
 * UPSTREAM_CLOSED is the peer's FIN instead of (the rest of) a response.
 */
const RESET = new Set(['ECONNRESET', 'EPIPE', 'UPSTREAM_CLOSED']);

/** What the policy looks at of a request. */
interface Method {
  readonly method: string;
}

export function isIdempotent(req: Method): boolean {
  return IDEMPOTENT.has(req.method);
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
export function isRetriable(err: unknown, req: Method, bodyReplayable: boolean): boolean {
  if (!bodyReplayable) return false;
  if (isConnectFailure(err)) return true;
  return isReset(err) && isIdempotent(req);
}
