// CPU time of one process, per thread, and its main thread's context switches, from /proc (Linux
// only): what `reload-storm.mjs --threads` reports per round type, to tell a main thread that
// does more per request from one that gets less of a CPU, and what the other threads take.
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's utime/stime: 100 on every Linux build node runs on. */
const TICK_MS = 10;

/** { main, others (ms of CPU, all other threads), voluntary, involuntary (main thread's switches) } now. */
export function threadCpu(pid) {
  let main = 0;
  let others = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ms = (Number(fields[11]) + Number(fields[12])) * TICK_MS;
    if (tid === String(pid)) main = ms;
    else others += ms;
  }
  const status = readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8');
  const count = (name) => Number(new RegExp(`^${name}_ctxt_switches:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { main, others, voluntary: count('voluntary'), involuntary: count('nonvoluntary') };
}

/** Starts measuring `pid`; the returned function gives per-second rates since then. */
export function startThreadCpu(pid) {
  const before = threadCpu(pid);
  const t0 = performance.now();
  return () => {
    const after = threadCpu(pid);
    const s = (performance.now() - t0) / 1000;
    const rate = (key) => (after[key] - before[key]) / s;
    return { mainMsPerS: rate('main'), othersMsPerS: rate('others'), involuntaryPerS: rate('involuntary'), seconds: s };
  };
}
