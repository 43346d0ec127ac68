import type { ContainerFacts } from './container-facts.js';

export type Found<T> = { ok: true; value: T } | { ok: false; problem: string };

/**
 * The host part of a container's server URL: its IP on `network` (the `docker.network` label,
 * else the provider's `network`, else the first network by name that gave it an address); on the
 * host network, `hostAddress` (127.0.0.1 for a local engine).
 */
export function containerHost(c: ContainerFacts, network: string, hostAddress: string): Found<string> {
  if (c.networkMode === 'host') return { ok: true, value: hostAddress };
  if (c.networkMode === 'none') return { ok: false, problem: 'has no network (--network none); it cannot be reached' };
  if (c.networkMode.startsWith('container:')) {
    return { ok: false, problem: `shares the network of another container (${c.networkMode}); put the labels on that container instead` };
  }
  const names = Object.keys(c.networks).sort();
  const address = (name: string): string | undefined => {
    const n = c.networks[name];
    if (n?.ipv4) return n.ipv4;
    if (n?.ipv6) return `[${n.ipv6}]`;
    return undefined;
  };
  if (network) {
    const ip = address(network);
    if (ip) return { ok: true, value: ip };
    return { ok: false, problem: `has no address on network ${JSON.stringify(network)} (it is on ${names.length ? names.join(', ') : 'no network'})` };
  }
  for (const name of names) {
    const ip = address(name);
    if (ip) return { ok: true, value: ip };
  }
  return { ok: false, problem: `has no IP address on any network (${names.length ? names.join(', ') : 'none'})` };
}

/** The port to use when no `server.port` label says: the single TCP port the container exposes. */
export function exposedPort(c: ContainerFacts): Found<number> {
  if (c.exposedPorts.length === 1) return { ok: true, value: c.exposedPorts[0]! };
  if (c.exposedPorts.length === 0) return { ok: false, problem: 'exposes no port' };
  return { ok: false, problem: `exposes several ports (${c.exposedPorts.join(', ')})` };
}
