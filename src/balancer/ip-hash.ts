import { isEligible, type Balancer, type BalancerFactory, type BalancerServer, type PickContext } from './types.js';

/**
 * Client-IP affinity by weighted rendezvous hashing (HRW): every server scores
 * weight / -ln(u), u in (0, 1) from a 64-bit mix of (client IP, server URL); highest wins.
 * Removing a server moves only its clients; adding one to N moves ~1/(N+1) of them, all to
 * the new server; shares are proportional to weight. No random seeds: two instances with
 * the same config agree.
 */
export const ipHashBalancer: BalancerFactory = (servers) => {
  const list = servers.filter(isEligible);
  const n = list.length;
  const seedHi = new Uint32Array(n);
  const seedLo = new Uint32Array(n);
  let equalWeights = true;
  for (let i = 0; i < n; i++) {
    hashString(list[i]!.url);
    seedHi[i] = outHi;
    seedLo[i] = outLo;
    if (list[i]!.weight !== list[0]!.weight) equalWeights = false;
  }
  return {
    pick(ctx: PickContext): BalancerServer | undefined {
      if (n === 0) return undefined;
      if (n === 1) return list[0]!.state.draining ? undefined : list[0];
      hashString(normalizeIp(ctx.clientIp));
      const ipHi = outHi;
      const ipLo = outLo;
      let best: BalancerServer | undefined;
      let bestScore = -Infinity;
      for (let i = 0; i < n; i++) {
        const s = list[i]!;
        if (s.state.draining) continue;
        mix64(ipHi ^ seedHi[i]!, ipLo ^ seedLo[i]!);
        // 52 bits -> an integer k in [0, 2^52); u = (k + 0.5) / 2^52 lies strictly in (0, 1).
        const k = outHi * 1048576 + (outLo >>> 12);
        // weight / -ln(u) is increasing in u, so equal weights can compare k directly.
        const score = equalWeights ? k : s.weight / -Math.log((k + 0.5) / 4503599627370496);
        if (score > bestScore) {
          bestScore = score;
          best = s;
        }
      }
      return best;
    },
  } satisfies Balancer;
};

/** `::ffff:10.0.0.1` (IPv4-mapped, from dual-stack sockets) hashes like `10.0.0.1`. */
function normalizeIp(ip: string): string {
  return ip.length > 7 && ip.charCodeAt(0) === 58 /* : */ && ip.startsWith('::ffff:') && ip.includes('.', 7)
    ? ip.slice(7)
    : ip;
}

// Output registers of hashString / mix64 (avoids allocating a tuple per call).
let outHi = 0;
let outLo = 0;

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/** 64-bit permutation of (hi, lo): four Feistel rounds with murmur3's fmix32. */
function mix64(hi: number, lo: number): void {
  lo ^= fmix32(hi ^ 0x9e3779b9);
  hi ^= fmix32(lo ^ 0x7f4a7c15);
  lo ^= fmix32(hi ^ 0xbf58476d);
  hi ^= fmix32(lo ^ 0x94d049bb);
  outHi = hi >>> 0;
  outLo = lo >>> 0;
}

/** Two-lane string hash over UTF-16 code units (FNV-1a lane + multiply-xorshift lane), mixed. */
function hashString(s: string): void {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  mix64(a ^ s.length, b);
}
