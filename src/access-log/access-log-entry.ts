/**
 * What the forwarding path notes on a request for the access log (only when one is
 * configured: otherwise no request carries a note).
 */
export interface RequestNote {
  clientIp: string;
  /** `app@file`, or '' when no router matched. */
  router: string;
  service: string;
  /** The server of the last attempt, or ''. */
  serverUrl: string;
  /** Upstream attempts (retries included). */
  attempts: number;
}

/** What the access log records of one request (plain data). */
export interface AccessLogEntry {
  /** Epoch ms when the request's head arrived. */
  readonly start: number;
  /** ms from the head to the end of the response (or the cut). */
  readonly durationMs: number;
  readonly clientIp: string;
  readonly method: string;
  /** The request target as received. */
  readonly path: string;
  readonly protocol: string;
  readonly host: string;
  /** The status sent to the client; 0 when the connection was cut before any. */
  readonly status: number;
  /** Response body bytes sent. */
  readonly size: number;
  readonly referer: string;
  readonly userAgent: string;
  /** `app@file`, or '' when no router matched. */
  readonly router: string;
  readonly service: string;
  /** The server that answered (the last one tried), or ''. */
  readonly serverUrl: string;
  /** Upstream attempts (retries included). */
  readonly attempts: number;
}
