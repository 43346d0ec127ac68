import { describe, expect, it } from 'vitest';
import { PauseBudget, runInSlices, runToEnd, type Steps } from '../../../src/time-slices.js';

function* counting(log: string[], steps: number): Steps<number> {
  try {
    for (let i = 0; i < steps; i++) {
      log.push(`step ${i}`);
      yield;
    }
    return steps;
  } finally {
    log.push('closed');
  }
}

describe('time slices', () => {
  it('runs the same steps to the same result in one go or in slices, letting the event loop in between', async () => {
    const oneGo: string[] = [];
    expect(runToEnd(counting(oneGo, 3))).toBe(3);
    const sliced: string[] = [];
    const run = runInSlices(counting(sliced, 3), () => false, 0);
    // A turn of the event loop between two slices: scheduled now, it runs after the first one.
    setImmediate(() => setImmediate(() => sliced.push('event loop')));
    const result = await run;
    expect(result).toMatchObject({ done: true, value: 3 });
    expect(sliced.filter((l) => l !== 'event loop')).toEqual(oneGo);
    expect(sliced.indexOf('event loop')).toBeGreaterThan(0);
    expect(sliced.indexOf('event loop')).toBeLessThan(sliced.indexOf('closed'));
  });

  it('starts the first slice in a turn of its own, not in the caller\'s (two runs in a row make no double-length block)', async () => {
    const log: string[] = [];
    const first = runInSlices(counting(log, 1), () => false);
    expect(log).toEqual([]);
    setImmediate(() => log.push('event loop'));
    await first;
    // The second run starts where the first ended, in the same turn: its first step waits for the next one.
    const second = runInSlices(counting(log, 1), () => false);
    log.push('first done');
    await second;
    expect(log).toEqual(['step 0', 'closed', 'first done', 'event loop', 'step 0', 'closed']);
  });

  it('abandons the work between two slices once it is stale, and closes the generator', async () => {
    const log: string[] = [];
    let stale = false;
    const run = runInSlices(counting(log, 1000), () => stale, 0);
    setImmediate(() => setImmediate(() => (stale = true)));
    expect(await run).toEqual({ done: false });
    expect(log.at(-1)).toBe('closed');
    expect(log.length).toBeGreaterThan(1);
    expect(log.length).toBeLessThan(1000);
    // Stale before its first slice (a newer config came at once): no step runs at all.
    const none: string[] = [];
    expect(await runInSlices(counting(none, 1000), () => true, 0)).toEqual({ done: false });
    expect(none).toEqual([]);
  });
});

describe('PauseBudget', () => {
  it('says to pause after every `step` items, and sooner for items that cost more', () => {
    const budget = new PauseBudget(4);
    const pauses = (n: number): number[] => Array.from({ length: n }, (_, i) => i).filter(() => budget.tick());
    expect(pauses(8)).toEqual([3, 7]);
    budget.spend(2);
    expect(budget.tick()).toBe(false);
    expect(budget.tick()).toBe(true);
    budget.spend(10);
    expect(budget.tick()).toBe(true);
    expect(pauses(4)).toEqual([3]);
  });
});
