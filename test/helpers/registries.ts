import type { Logger } from 'pino';
import { afterEach } from 'vitest';
import { ServerRegistry } from '../../src/runtime/server-registry.js';

/**
 * A maker of ServerRegistries for the tests of one describe block, each destroyed (sockets,
 * timers) after every test. Call it inside the describe block: it registers the afterEach.
 */
export function trackedRegistries(log: Logger): () => ServerRegistry {
  const registries: ServerRegistry[] = [];
  afterEach(() => {
    for (const r of registries.splice(0)) r.destroy();
  });
  return () => {
    const r = new ServerRegistry({ maxIdleSockets: 1, idleTimeout: 1000 }, log);
    registries.push(r);
    return r;
  };
}
