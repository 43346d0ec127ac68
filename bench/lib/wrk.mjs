// wrk runs and their output. wrk -t1 (one load thread, as in issue 3's figures), --latency for
// p50/p99. A Lua script spreads requests over many Host headers when a part needs it; its requests
// are formatted once at start so the script costs wrk the same for 1 host or 1,000.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runToEnd, which } from './processes.mjs';

export function wrkBinary() {
  const bin = which('wrk');
  if (!bin) throw new Error('wrk is not installed: apt-get install -y wrk');
  return bin;
}

/**
 * One wrk run → { rps, p50, p99 (ms), total, bad } (bad = non-2xx/3xx + socket errors + timeouts).
 * `host` sets one Host header; `script` is a Lua file from hostsScript().
 */
export async function runWrk({ url, seconds, connections, host, script }) {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency'];
  if (host) args.push('-H', `Host: ${host}`);
  if (script) args.push('-s', script);
  args.push(url);
  return parseWrk(await runToEnd('wrk', wrkBinary(), args, { timeoutMs: (seconds + 30) * 1000 }));
}

export function parseWrk(out) {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p50 = wrkLatency(/^\s*50%\s+(\S+)/m.exec(out)?.[1]);
  const p99 = wrkLatency(/^\s*99%\s+(\S+)/m.exec(out)?.[1]);
  const total = Number(/(\d+) requests in/.exec(out)?.[1]);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const bad = non2xx + (sock ? sock.slice(1).reduce((a, n) => a + Number(n), 0) : 0);
  if (!Number.isFinite(rps) || p50 === undefined || p99 === undefined) throw new Error(`cannot parse wrk output:\n${out}`);
  return { rps, p50, p99, total, bad };
}

/** wrk latency text (`812.00us`, `1.23ms`, `2.01s`, `1.5m`) → milliseconds. */
function wrkLatency(text) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text ?? '');
  if (!m) return undefined;
  return Number(m[1]) * { us: 0.001, ms: 1, s: 1000, m: 60_000 }[m[2]];
}

/** Writes a wrk Lua script that cycles GET / over `hosts` (Host header); returns its path. */
export function hostsScript(dir, name, hosts) {
  const file = path.join(dir, `${name}.lua`);
  writeFileSync(
    file,
    `local hosts = { ${hosts.map((h) => JSON.stringify(h)).join(', ')} }
local reqs = {}
for i, h in ipairs(hosts) do reqs[i] = wrk.format("GET", "/", { Host = h }) end
local n = 0
request = function()
  n = n + 1
  if n > #reqs then n = 1 end
  return reqs[n]
end
`,
  );
  return file;
}
