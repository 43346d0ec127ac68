import type { ClientRequest } from 'node:http';
import type { Socket } from 'node:net';
import { UpstreamTimeoutError } from './upstream-error.js';

export interface UpstreamTimeouts {
  /** ms to establish the TCP connection; 0 = none. */
  dialTimeout: number;
  /** ms from sending the request to the response headers; 0 = none. */
  responseHeaderTimeout: number;
}

/** Arms dial and response-header timers on an upstream request; destroying it with a timeout error. */
export function armUpstreamTimeouts(proxyReq: ClientRequest, t: UpstreamTimeouts): void {
  if (t.dialTimeout > 0) {
    proxyReq.once('socket', (socket: Socket) => {
      if (!socket.connecting) return; // a reused keep-alive socket is already connected
      const timer = setTimeout(() => proxyReq.destroy(new UpstreamTimeoutError('connect', t.dialTimeout)), t.dialTimeout);
      const clear = (): void => clearTimeout(timer);
      socket.once('connect', clear);
      proxyReq.once('close', clear);
    });
  }
  if (t.responseHeaderTimeout > 0) {
    const timer = setTimeout(
      () => proxyReq.destroy(new UpstreamTimeoutError('response headers', t.responseHeaderTimeout)),
      t.responseHeaderTimeout,
    );
    const clear = (): void => clearTimeout(timer);
    proxyReq.once('response', clear);
    proxyReq.once('upgrade', clear);
    proxyReq.once('close', clear);
  }
}
