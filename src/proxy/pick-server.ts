import type { BalancerServer, PickContext } from '../balancer/types.js';
import type { ServiceRuntime } from '../runtime/routing-table.js';

export interface Pick {
  server: BalancerServer;
  /** Set-Cookie value to send with the response when the client has no valid sticky cookie. */
  setCookie: string | undefined;
}

/** A sticky cookie naming a live server wins; otherwise the strategy picks and a fresh cookie is set. */
export function pickServer(service: ServiceRuntime, cookieHeader: string | undefined, ctx: PickContext): Pick | undefined {
  const sticky = service.sticky;
  if (sticky) {
    const pinned = sticky.serverFor(cookieHeader);
    if (pinned) return { server: pinned, setCookie: undefined };
  }
  const server = service.balancer.pick(ctx);
  if (!server) return undefined;
  return { server, setCookie: sticky?.setCookieHeader(server) };
}
