import type { BalancerServer, PickContext } from '../balancer/types.js';
import type { ServiceRuntime } from '../runtime/routing-table.js';

export interface Pick {
  server: BalancerServer;
  /** Set-Cookie value to send with the response when the client has no valid sticky cookie. */
  setCookie: string | undefined;
}

/** A sticky cookie naming a live, available server wins; otherwise the pool picks and a fresh cookie is set. */
export function pickServer(service: ServiceRuntime, cookieHeader: string | undefined, ctx: PickContext): Pick | undefined {
  const sticky = service.sticky;
  if (sticky) {
    const pinned = sticky.serverFor(cookieHeader);
    if (pinned) return { server: pinned, setCookie: undefined };
  }
  const server = service.pool.pick(ctx);
  if (!server) return undefined;
  return { server, setCookie: sticky?.setCookieHeader(server) };
}
