import type { RouterConfig, ValidatedConfig } from '../config/dynamic-config.js';
import type { ServiceRuntime } from './service-runtime.js';
import type { MatchRequest, RuleMatcher } from '../rules/types.js';
import type { HostIndex } from './host-index.js';

export type { ServiceRuntime } from './service-runtime.js';

/**
 * Everything a request needs, built once per config and never mutated afterwards
 * (ARCHITECTURE invariant 1). A request reads `runtime.table` once and keeps that reference.
 */
export interface RoutingTable {
  /** Increments with every swap; handy in logs and the API. */
  readonly version: number;
  readonly entryPoints: ReadonlyMap<string, RouterSet>;
  readonly services: ReadonlyMap<string, ServiceRuntime>;
  /** Every route by router name, in priority order. */
  readonly routes: ReadonlyMap<string, Route>;
  readonly source: ValidatedConfig;
}

/**
 * Routes and services are immutable too, so the next table reuses those whose config is the
 * same object (validation hands back the same object for an unchanged item): a reload costs
 * what changed. A ServicePool's own balancing state is shared state that must survive reloads anyway.
 */
export interface Route {
  readonly name: string;
  readonly priority: number;
  /** Position in priority order; lower = tried first. */
  readonly order: number;
  /** Hosts the rule requires (the host index files the route under them), or null. */
  readonly hosts: readonly string[] | null;
  /**
   * What is left of the rule to check once the host index found the route for the request's
   * host (CompiledRule.rest): never call it for a request the index did not find it for.
   * Null: nothing is left.
   */
  readonly rest: RuleMatcher | null;
  readonly service: ServiceRuntime;
  /** The validated router this route was built from. */
  readonly config: RouterConfig;
}

const matches = (route: Route, req: MatchRequest): boolean => route.rest === null || route.rest(req);

/** The routers of one entry point, with a host index in front of the priority-ordered scan. */
export class RouterSet {
  constructor(private readonly index: HostIndex<Route>) {}

  match(req: MatchRequest): Route | undefined {
    return this.index.find(req.host, matches, req);
  }

  get size(): number {
    return this.index.size;
  }
}
