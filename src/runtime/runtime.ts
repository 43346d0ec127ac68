import type { Logger } from 'pino';
import type { BalancerOptions } from '../balancer/types.js';
import { emptyConfig, emptyStatus, type ValidatedConfig } from '../config/dynamic-config.js';
import { runInSlices } from '../time-slices.js';
import { buildRoutingTable, buildSteps } from './build-table.js';
import type { RoutingTable } from './routing-table.js';
import { ServerRegistry, type AgentOptions } from './server-registry.js';
import { SpareServices } from './spare-services.js';

export type ApplyResult =
  | {
      status: 'applied';
      table: RoutingTable;
      /** From apply() to the swap, waits between slices included (ms). */
      buildMs: number;
      /** Time spent building, without the waits (ms). */
      busyMs: number;
    }
  /** A newer config was applied before this one's table was done; this one was dropped. */
  | { status: 'superseded' };

const SUPERSEDED: ApplyResult = { status: 'superseded' };

/**
 * Holds the current RoutingTable and swaps it with one assignment on every new config. Tables
 * are built in time slices, so a big build never stalls requests for long, one at a time; a
 * newer config abandons the build under way at its next slice. Tables are published in the
 * order their configs came, never an older one after a newer one.
 */
export class Runtime {
  readonly registry: ServerRegistry;
  private current: RoutingTable;
  /** Bumped by every apply(); a build whose ticket is no longer the latest is abandoned. */
  private latest = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly spare = new SpareServices();

  constructor(
    private readonly entryPointNames: readonly string[],
    agentOptions: AgentOptions,
    private readonly log: Logger,
    private readonly balancerOptions?: BalancerOptions,
    /** New services acquire their servers at build time (BuildOptions.eagerServers: the primary of worker processes). */
    private readonly eagerServers = false,
  ) {
    this.registry = new ServerRegistry(agentOptions, log);
    this.current = buildRoutingTable(
      { config: emptyConfig(), status: emptyStatus(), errors: [] },
      this.registry,
      { version: 0, entryPoints: entryPointNames },
    );
  }

  /** The table a new request should use. Read it once per request and keep the reference. */
  get table(): RoutingTable {
    return this.current;
  }

  /** Builds a table for `config` and makes it current, unless a newer config comes first. */
  apply(config: ValidatedConfig): Promise<ApplyResult> {
    const ticket = ++this.latest;
    const started = performance.now();
    const run = this.queue.then(() => this.build(config, ticket, started));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Abandons a build under way (shutdown): nothing is published after this. */
  close(): void {
    this.latest++;
  }

  private async build(config: ValidatedConfig, ticket: number, started: number): Promise<ApplyResult> {
    const stale = (): boolean => ticket !== this.latest;
    if (stale()) return SUPERSEDED;
    const steps = buildSteps(config, this.registry, {
      version: this.current.version + 1,
      entryPoints: this.entryPointNames,
      ...(this.balancerOptions ? { balancer: this.balancerOptions } : {}),
      onPanic: (service, panic, available, total) =>
        this.log.warn(
          { service, panic, available, total },
          panic ? `panic mode: only ${available} of ${total} servers available; balancing over all of them` : 'panic mode over',
        ),
      previous: this.current,
      spare: this.spare,
      eagerServers: this.eagerServers,
    });
    const result = await runInSlices(steps, stale);
    if (!result.done) return SUPERSEDED;
    this.current = result.value;
    return { status: 'applied', table: result.value, buildMs: performance.now() - started, busyMs: result.busyMs };
  }
}
