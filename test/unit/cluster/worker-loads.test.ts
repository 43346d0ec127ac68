import { describe, expect, it } from 'vitest';
import { WorkerLoads } from '../../../src/cluster/worker-loads.js';

const takeN = (loads: WorkerLoads, n: number): number[] => Array.from({ length: n }, () => loads.take()!);
const count = (ids: number[], id: number): number => ids.filter((x) => x === id).length;
/** Loads with these workers ready, in this order. */
function workers(...ids: number[]): WorkerLoads {
  const loads = new WorkerLoads();
  for (const id of ids) loads.add(id);
  return loads;
}

describe('which worker takes the next connection', () => {
  it('none while no worker is ready', () => {
    expect(new WorkerLoads().take()).toBeUndefined();
  });

  it('a burst, before any worker has reported, splits evenly: what was sent counts as open', () => {
    const loads = workers(1, 2, 3);
    const ids = takeN(loads, 64);
    expect([count(ids, 1), count(ids, 2), count(ids, 3)].sort()).toEqual([21, 21, 22]);
  });

  it('ties take turns, also when every connection closes before the next (short-lived connections)', () => {
    const loads = workers(1, 2);
    const ids: number[] = [];
    for (let i = 0; i < 6; i++) {
      const id = loads.take()!;
      ids.push(id);
      loads.report(id, { received: count(ids, id), open: 0 });
    }
    expect(ids).toEqual([1, 2, 1, 2, 1, 2]);
  });

  it('the worker with the fewest open connections takes the next ones, by its latest report', () => {
    const loads = workers(1, 2);
    takeN(loads, 20); // 10 each
    // Worker 1's clients went away: it reports 2 of its 10 open; worker 2 still has its 10.
    loads.report(1, { received: 10, open: 2 });
    loads.report(2, { received: 10, open: 10 });
    expect(takeN(loads, 8)).toEqual(Array(8).fill(1));
    expect(loads.openByWorker()).toEqual(new Map([[1, 10], [2, 10]]));
  });

  it('connections sent but not yet in a report count, so a late report does not pile them on one worker', () => {
    const loads = workers(1, 2);
    takeN(loads, 4); // 2 each
    // Worker 2's report is from before the second connection it was sent reached it.
    loads.report(1, { received: 2, open: 2 });
    loads.report(2, { received: 1, open: 1 });
    expect(loads.openByWorker()).toEqual(new Map([[1, 2], [2, 2]]));
  });

  it('a removed worker gets nothing; a restarted one starts from zero and catches up', () => {
    const loads = workers(1, 2);
    takeN(loads, 10);
    loads.remove(2);
    expect(takeN(loads, 3)).toEqual([1, 1, 1]);
    expect(loads.openByWorker().size).toBe(1);
    loads.add(2);
    // Worker 1 holds 8 (5 + 3, none closed); the new worker 2 takes the next 8.
    expect(takeN(loads, 8)).toEqual(Array(8).fill(2));
    expect(count(takeN(loads, 2), 1)).toBe(1);
  });

  it('a report for a worker that is gone is ignored', () => {
    const loads = workers(1);
    loads.report(7, { received: 3, open: 3 });
    expect(loads.openByWorker()).toEqual(new Map([[1, 0]]));
  });
});
