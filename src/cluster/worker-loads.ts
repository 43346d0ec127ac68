/** What a worker last said of the connections it was handed (see FromWorker 'connections'). */
export interface ConnectionReport {
  /** Connections it has received, ever. */
  received: number;
  /** Of those, still open. */
  open: number;
}

interface Load {
  /** Connections handed to it, ever. */
  sent: number;
  report: ConnectionReport;
}

/**
 * Which worker takes the next client connection: the one with the fewest open connections,
 * ties in turn. A worker reports its counts now and then, so its load is what it reported open
 * plus what was sent since it last counted (still in the IPC channel, or too new to be in a
 * report): exact for what was sent, a report late for what closed.
 *
 * Why not node:cluster's own scheduling: its primary hands a connection to whichever worker
 * acknowledged its previous one first, so a burst of connections (a client pool opening 64 at
 * once) splits unevenly — 25/39 and 18/46 were seen over two workers — and the busier worker's
 * requests queue behind each other (bench/RESULTS.md, "Connections spread over the workers").
 */
export class WorkerLoads {
  private readonly loads = new Map<number, Load>();
  /** Where the search for the least loaded worker starts: rotates, so that ties take turns. */
  private cursor = 0;

  /** A worker ready for connections (a restarted worker comes back with counts of zero). */
  add(id: number): void {
    this.loads.set(id, { sent: 0, report: { received: 0, open: 0 } });
  }

  remove(id: number): void {
    this.loads.delete(id);
  }

  get size(): number {
    return this.loads.size;
  }

  report(id: number, report: ConnectionReport): void {
    const load = this.loads.get(id);
    if (load) load.report = report;
  }

  /** The worker that takes the next connection (counted as sent to it), or undefined when none is ready. */
  take(): number | undefined {
    let best: number | undefined;
    let bestOpen = Infinity;
    let bestLoad: Load | undefined;
    const ids = [...this.loads.keys()];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[(this.cursor + i) % ids.length]!;
      const load = this.loads.get(id)!;
      const open = load.report.open + load.sent - load.report.received;
      if (open < bestOpen) {
        best = id;
        bestOpen = open;
        bestLoad = load;
      }
    }
    if (!bestLoad) return undefined;
    bestLoad.sent++;
    this.cursor = (ids.indexOf(best!) + 1) % ids.length;
    return best;
  }

  /** Each worker's open connections as counted here (what the choice sees; tests read it). */
  openByWorker(): Map<number, number> {
    return new Map([...this.loads].map(([id, l]) => [id, l.report.open + l.sent - l.report.received]));
  }
}
