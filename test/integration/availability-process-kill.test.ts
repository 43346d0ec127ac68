import { afterEach, describe, expect, it } from 'vitest';
import { startLoad, stateOf, waitForState } from '../helpers/availability.js';
import { Resources } from '../helpers/proxy-harness.js';
import { spawnBackend, type BackendProcess } from '../helpers/spawn-backend.js';
import { singleService, startSwitchyard } from '../helpers/switchyard.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The headline test: three backend processes behind Switchyard, 100 concurrent
 * keep-alive clients doing GETs, one backend SIGKILLed mid-run (and later restarted on its
 * port): not one failed request, thanks to retries, ejection and health checks.
 */

const res = new Resources();
afterEach(() => res.closeAll());

/** Restarts a backend process on a given port (retrying briefly if the port is still held). */
async function respawn(name: string, port: number): Promise<BackendProcess> {
  let proc: BackendProcess | undefined;
  await waitFor(
    async () => {
      proc = await spawnBackend(name, { port, delayMs: 2 });
      return proc;
    },
    `${name} to listen again on port ${port}`,
    5000,
    100,
  );
  return proc!;
}

describe('a backend process dies under load', () => {
  it('100 concurrent keep-alive clients see zero failed requests when a backend is SIGKILLed and restarted', async () => {
    const procs = await Promise.all(['p1', 'p2', 'p3'].map((n) => spawnBackend(n, { delayMs: 2 })));
    for (const p of procs) res.add(p);
    const sy = res.add(
      await startSwitchyard({
        dynamic: {
          'app.yaml': singleService(
            procs.map((p) => p.url),
            {
              lb: {
                // Generous timeout and threshold: on a loaded 2-core machine a busy event loop must not
                // take the survivors down; the kill itself is handled by retries and ejection.
                healthCheck: { path: '/health', interval: '200ms', timeout: '2s', unhealthyThreshold: 2 },
                passiveHealthCheck: { maxFailures: 2, failureWindow: '5s', ejectFor: '30s' },
                retries: 2,
              },
            },
          ),
        },
      }),
    );
    for (const p of procs) await waitForState(sy, p.url, (s) => s.available, `${p.name} up`);

    const load = startLoad(sy.url, 100);
    try {
      const { result } = load;
      await waitFor(() => result.ok >= 600 && procs.every((p) => (result.byBackend[p.name] ?? 0) >= 150), 'load on every backend', 60_000);
      const victim = procs[1]!;
      await victim.kill();
      const atKill = result.ok;
      // Out of rotation by passive ejection (or a failed check), while the load goes on.
      await waitForState(sy, victim.url, (s) => !s.available, 'the dead backend to leave the rotation', 30_000);
      await waitFor(() => result.ok >= atKill + 1000, 'more load after the kill', 60_000);
      const servedByVictim = result.byBackend[victim.name]!;

      // Restarted on its port: a passing active check ends the ejection and it takes traffic again.
      res.add(await respawn(victim.name, victim.port));
      await waitForState(sy, victim.url, (s) => s.available, 'the restarted backend to come back', 30_000);
      await waitFor(() => result.byBackend[victim.name]! >= servedByVictim + 100, 'the restarted backend to serve', 60_000);
      expect(stateOf(sy, victim.url).health).toBe('up');
    } finally {
      load.stop();
    }
    const result = await load.done;
    expect(result.failures).toEqual([]);
    expect(result.ok).toBeGreaterThan(1700);
  }, 180_000);
});
