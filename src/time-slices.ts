import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Work written as a generator that yields wherever it may pause. The same steps run to the end
 * in one go (`runToEnd`: CLI, tests) or in time slices between which the event loop serves
 * requests (`runInSlices`: reloads), so both ways build exactly the same result.
 */
export type Steps<T> = Generator<void, T, void>;

/** Long enough to amortise a turn of the event loop, short enough that requests barely notice. */
export const SLICE_MS = 5;

/**
 * Items left until the next point where sliced steps may pause. Checking the clock costs too, so
 * a loop pauses every `step` cheap items (`tick()` says when), and an item that does the real work
 * counts for more (`spend`): validation and the table build both count this way.
 */
export class PauseBudget {
  private left: number;

  constructor(private readonly step: number) {
    this.left = step;
  }

  /** One more item: true when the loop should yield now. */
  tick(): boolean {
    if (--this.left > 0) return false;
    this.left = this.step;
    return true;
  }

  /** The item being handled costs `cost` more. */
  spend(cost: number): void {
    this.left -= cost;
  }
}

export type SlicedResult<T> =
  | { done: true; value: T; /** time spent working, without the waits between slices */ busyMs: number }
  | { done: false };

export function runToEnd<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * Runs `steps` in slices of about `budgetMs`, each in a turn of the event loop of its own
 * (setImmediate, so I/O goes first), the first one too. Before each slice `isStale` may abandon
 * the work: the generator is closed (its `finally` blocks run) and `{ done: false }` is returned.
 */
export async function runInSlices<T>(steps: Steps<T>, isStale: () => boolean = () => false, budgetMs = SLICE_MS): Promise<SlicedResult<T>> {
  let busyMs = 0;
  for (;;) {
    // Not in the caller's turn: a run started where another ends (the table build once
    // validation is done) would add its first slice to the other's last, one block of two
    // slices (~10 ms in a 10,000-router reload, bench/RESULTS.md, "Longest event-loop block").
    await nextTurn();
    if (isStale()) {
      steps.return(undefined as never);
      return { done: false };
    }
    const start = performance.now();
    let r: IteratorResult<void, T>;
    do r = steps.next();
    while (!r.done && performance.now() - start < budgetMs);
    busyMs += performance.now() - start;
    if (r.done) return { done: true, value: r.value, busyMs };
  }
}
