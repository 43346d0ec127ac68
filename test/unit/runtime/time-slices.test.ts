import { describe, expect, it } from 'vitest';
import { runInSlices, runToEnd, type Steps } from '../../../src/time-slices.js';

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
    setImmediate(() => sliced.push('event loop'));
    const result = await runInSlices(counting(sliced, 3), () => false, 0);
    expect(result).toMatchObject({ done: true, value: 3 });
    expect(sliced.filter((l) => l !== 'event loop')).toEqual(oneGo);
    expect(sliced.indexOf('event loop')).toBeGreaterThan(0);
    expect(sliced.indexOf('event loop')).toBeLessThan(sliced.indexOf('closed'));
  });

  it('abandons the work between two slices once it is stale, and closes the generator', async () => {
    const log: string[] = [];
    let stale = false;
    setImmediate(() => (stale = true));
    const result = await runInSlices(counting(log, 1000), () => stale, 0);
    expect(result).toEqual({ done: false });
    expect(log.at(-1)).toBe('closed');
    expect(log.length).toBeLessThan(1000);
  });
});
