import { afterEach, describe, expect, it } from 'vitest';
import { burst, stateOf, waitForState } from '../helpers/availability.js';
import { startControlledBackend } from '../helpers/health-backend.js';
import { Resources } from '../helpers/proxy-harness.js';
import { singleService, startSwitchyard } from '../helpers/switchyard.js';
import { waitFor } from '../helpers/wait.js';

/** Slow start: a server that comes back ramps its share up over the window, not in one step. */

const res = new Resources();
afterEach(() => res.closeAll());

const WINDOW = 1500;

describe('slow start', () => {
  it("a recovering server's share grows over the slowStart window, then is its full share", async () => {
    const a = res.add(await startControlledBackend('a'));
    const b = res.add(await startControlledBackend('b', { health: 'fail' }));
    const sy = res.add(
      await startSwitchyard({
        dynamic: {
          'app.yaml': singleService([a.url, b.url], { lb: { healthCheck: { path: '/health', interval: '50ms' }, slowStart: `${WINDOW}ms` } }),
        },
      }),
    );
    await waitForState(sy, b.url, (s) => s.health === 'down', 'b down');
    // a ramps too after its first check; let it reach full weight first.
    const aSince = (await waitForState(sy, a.url, (s) => s.available, 'a up')).availableSince;
    await waitFor(() => Date.now() > aSince + WINDOW + 50, "a's slow start to end", WINDOW + 5000);

    const share = async (n: number, concurrency: number): Promise<{ share: number; end: number }> => {
      const replies = await burst(sy.url, n, concurrency);
      expect(replies.filter((r) => r.status !== 200)).toEqual([]);
      return { share: replies.filter((r) => r.body === 'b').length / n, end: Date.now() };
    };
    // Each round: b comes up, one batch at once, one from the middle of the window, one after it.
    // A round whose batches ran late (an overloaded machine) measured the wrong part of the ramp:
    // take b down and measure again rather than judge it.
    for (let round = 1; ; round++) {
      b.health = 'pass';
      const since = (await waitForState(sy, b.url, (s) => s.available, 'b up')).availableSince;
      const early = await share(100, 4);
      await waitFor(() => Date.now() > since + WINDOW / 2, 'the middle of the window', WINDOW + 5000);
      const middle = await share(60, 4);
      // Idle until the window is over: the first picks after it must see the full weight.
      await waitFor(() => Date.now() > since + WINDOW + 50, 'the end of the window', WINDOW + 5000);
      const after = await share(100, 4);
      const onTime = early.end <= since + 0.4 * WINDOW && middle.end <= since + 0.9 * WINDOW;
      if (onTime || round === 3) {
        expect(early.share).toBeLessThan(0.35);
        expect(early.share).toBeGreaterThan(0); // the ramp starts at 10%, never at nothing
        // Not one step: clearly more by the middle of the window, and still below the full share.
        expect(middle.share).toBeGreaterThanOrEqual(early.share + 0.1);
        expect(after.share).toBeGreaterThan(middle.share);
        expect(after.share).toBeGreaterThanOrEqual(0.45);
        expect(stateOf(sy, b.url).availableSince).toBe(since);
        break;
      }
      b.health = 'fail';
      await waitForState(sy, b.url, (s) => s.health === 'down', 'b down again');
    }
  }, 120_000);
});
