/**
 * Long-lived state of one backend server of one service. Lives in the ServerRegistry,
 * keyed by service + server URL, and is handed back unchanged to every RoutingTable that
 * still lists that server, so counts and balancing position survive a reload.
 */
export interface ServerState {
  /** `service@provider|url`: the registry key. */
  readonly key: string;
  readonly service: string;
  readonly url: string;
  /** HTTP requests in flight plus open WebSockets through this server. */
  inFlight: number;
  /** Open WebSocket connections (also counted in inFlight). */
  webSockets: number;
  /** Smooth weighted round robin: this server's current weight (nginx's algorithm). */
  rrCurrent: number;
  /** True once the server left the config: it takes no new requests and is released when idle. */
  draining: boolean;
  /** Requests completed (any outcome) since the server was first seen. */
  served: number;
}

/** State shared by all servers of one service's pool that must also survive a reload. */
export interface PoolState {
  /** Rotating start index: breaks leastConn / p2c ties in turn. */
  cursor: number;
}
