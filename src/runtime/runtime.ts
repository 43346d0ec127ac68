import type { Logger } from 'pino';
import type { BalancerOptions } from '../balancer/types.js';
import type { ValidatedConfig } from '../config/dynamic-config.js';
import { buildRoutingTable } from './build-table.js';
import type { RoutingTable } from './routing-table.js';
import { ServerRegistry, type AgentOptions } from './server-registry.js';

/** Holds the current RoutingTable and swaps it with one assignment on every new config. */
export class Runtime {
  readonly registry: ServerRegistry;
  private current: RoutingTable;

  constructor(
    private readonly entryPointNames: readonly string[],
    agentOptions: AgentOptions,
    private readonly log: Logger,
    private readonly balancerOptions?: BalancerOptions,
  ) {
    this.registry = new ServerRegistry(agentOptions, log);
    this.current = buildRoutingTable(
      { config: { http: { routers: {}, services: {} } }, status: { routers: {}, services: {} }, errors: [] },
      this.registry,
      { version: 0, entryPoints: entryPointNames },
    );
  }

  /** The table a new request should use. Read it once per request and keep the reference. */
  get table(): RoutingTable {
    return this.current;
  }

  /** Builds a table for `config` and makes it current; returns how long the build took (ms). */
  apply(config: ValidatedConfig): { table: RoutingTable; buildMs: number } {
    const started = performance.now();
    const table = buildRoutingTable(config, this.registry, {
      version: this.current.version + 1,
      entryPoints: this.entryPointNames,
      ...(this.balancerOptions ? { balancer: this.balancerOptions } : {}),
      onPanic: (service, panic, available, total) =>
        this.log.warn(
          { service, panic, available, total },
          panic ? `panic mode: only ${available} of ${total} servers available; balancing over all of them` : 'panic mode over',
        ),
    });
    this.current = table;
    return { table, buildMs: performance.now() - started };
  }
}
