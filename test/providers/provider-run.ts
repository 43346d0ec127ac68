import pino, { type Logger } from 'pino';
import type { ProviderSnapshot, ValidatedConfig } from '../../src/config/dynamic-config.js';
import { validateSnapshots } from '../../src/config/validate.js';
import type { Provider } from '../../providers/provider.js';

/** A provider started the way Switchyard starts it, with every snapshot it emits kept. */
export class ProviderRun {
  readonly snapshots: ProviderSnapshot[] = [];

  constructor(readonly provider: Provider) {}

  async start(log: Logger = pino({ level: 'silent' })): Promise<this> {
    await this.provider.start((s) => this.snapshots.push(s), log);
    return this;
  }

  stop(): Promise<void> {
    return this.provider.stop();
  }

  get latest(): ProviderSnapshot | undefined {
    return this.snapshots.at(-1);
  }

  validated(): ValidatedConfig {
    return validateSnapshots(this.latest ? [this.latest] : [], { entryPoints: ['web'] });
  }

  /** Server URLs of service `name`, or undefined when it is not (validly) there. */
  servers(name: string): string[] | undefined {
    return this.validated().config.http.services.get(`${name}@${this.provider.name}`)?.loadBalancer.servers.map((s) => s.url);
  }

  serviceCount(): number {
    return Object.keys(this.latest?.config.http?.services ?? {}).length;
  }
}
