import type { ServiceConfig } from '../config/dynamic-config.js';
import type { ServiceRuntime } from './routing-table.js';

/**
 * Services built by table builds that a newer config overtook before they were published.
 * The next build takes them when their config is the same object, so a burst of reloads does
 * not build the same pools again; the build that publishes drains the servers of the ones it
 * did not take (they were acquired from the registry but never served).
 */
export class SpareServices {
  private readonly byName = new Map<string, ServiceRuntime[]>();

  add(service: ServiceRuntime): void {
    const list = this.byName.get(service.name);
    if (list) list.push(service);
    else this.byName.set(service.name, [service]);
  }

  find(name: string, config: ServiceConfig): ServiceRuntime | undefined {
    return this.byName.get(name)?.find((s) => s.config === config);
  }

  *values(): Iterable<ServiceRuntime> {
    for (const list of this.byName.values()) yield* list;
  }

  clear(): void {
    this.byName.clear();
  }
}
