import { describe, expect, it } from 'vitest';
import { Coalescer } from '../../providers/kv/coalescer.js';
import { waitFor } from '../helpers/wait.js';

describe('Coalescer', () => {
  it('turns a burst of triggers into one run, and triggers during a run into exactly one more', async () => {
    let runs = 0;
    let release: (() => void) | undefined;
    const c = new Coalescer(
      5,
      async () => {
        runs++;
        if (runs === 1) await new Promise<void>((r) => (release = r));
      },
      (err) => {
        throw err;
      },
      { leading: true },
    );
    for (let i = 0; i < 5_000; i++) c.trigger();
    await waitFor(() => release, 'the first run');
    for (let i = 0; i < 5_000; i++) c.trigger();
    release!();
    await waitFor(() => runs === 2, 'the second run');
    await c.stop();
    expect(runs).toBe(2);
  });

  it('runs nothing after stop()', async () => {
    let runs = 0;
    const c = new Coalescer(5, async () => void runs++, () => undefined);
    c.trigger();
    await c.stop();
    c.trigger();
    expect(runs).toBe(0);
  });
});
