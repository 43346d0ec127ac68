/** Marks an upstream request we aborted because it ran out of time (→ 504, not 502). */
export class UpstreamTimeoutError extends Error {
  readonly code = 'UPSTREAM_TIMEOUT';
  constructor(readonly phase: 'connect' | 'response headers', readonly ms: number) {
    super(`upstream did not ${phase === 'connect' ? 'accept the connection' : 'send response headers'} within ${ms} ms`);
  }
}

/** The status a client gets when forwarding failed before any response byte was sent. */
export function statusForUpstreamError(err: unknown): 502 | 504 {
  if (err instanceof UpstreamTimeoutError) return 504;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ETIMEDOUT' ? 504 : 502;
}
