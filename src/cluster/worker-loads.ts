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

  report(id: number, report: ConnectionReport): void {
    const load = this.loads.get(id);
    if (load) load.report = report;
  }

  /** The worker that takes the next connection (counted as sent to it), or undefined when none is ready. */
  take(): number | undefined {
    const ids = [...this.loads.keys()];
    let best = -1;
    let bestOpen = Infinity;
    for (let i = 0; i < ids.length; i++) {
      const at = (this.cursor + i) % ids.length;
      const open = openOf(this.loads.get(ids[at]!)!);
      if (open < bestOpen) {
        best = at;
        bestOpen = open;
      }
    }
    if (best < 0) return undefined;
    const id = ids[best]!;
    this.loads.get(id)!.sent++;
    this.cursor = (best + 1) % ids.length;
    return id;
  }

  /** Each worker's open connections as counted here (what the choice sees; tests read it). */
  openByWorker(): Map<number, number> {
    return new Map([...this.loads].map(([id, l]) => [id, openOf(l)]));
  }
}

/** What it reported open, plus what was sent since it last counted. */
const openOf = (l: Load): number => l.report.open + l.sent - l.report.received;
