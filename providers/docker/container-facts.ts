import type { ContainerInspectInfo } from 'dockerode';

/** What the provider needs to know about one container (from `GET /containers/{id}/json`). */
export interface ContainerFacts {
  id: string;
  /** Without Docker's leading `/`. */
  name: string;
  /** ms since the epoch; the older container's definition wins a conflict. */
  created: number;
  labels: Record<string, string>;
  /** Running, not paused, not restarting. */
  running: boolean;
  /** Docker health check status: `starting`, `healthy`, `unhealthy`; undefined without a check. */
  health: string | undefined;
  /** `host`, `bridge`, `none`, `container:<id>`, or a user network's name. */
  networkMode: string;
  /** Network name → the container's address on it. */
  networks: Record<string, { ipv4: string; ipv6: string }>;
  /** TCP ports the container exposes (image EXPOSE, `--expose`, `-p`), ascending. */
  exposedPorts: number[];
}

export function factsOf(info: ContainerInspectInfo): ContainerFacts {
  const state = info.State;
  const networks: ContainerFacts['networks'] = {};
  for (const [name, net] of Object.entries(info.NetworkSettings?.Networks ?? {})) {
    networks[name] = { ipv4: net.IPAddress ?? '', ipv6: net.GlobalIPv6Address ?? '' };
  }
  const exposed = new Set<number>();
  for (const spec of Object.keys(info.Config?.ExposedPorts ?? {})) {
    const [port, proto = 'tcp'] = spec.split('/');
    if (proto === 'tcp' && /^\d+$/.test(port ?? '')) exposed.add(Number(port));
  }
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    created: Date.parse(info.Created) || 0,
    labels: info.Config?.Labels ?? {},
    running: !!state?.Running && !state.Paused && !state.Restarting,
    health: state?.Health?.Status || undefined,
    networkMode: info.HostConfig?.NetworkMode ?? '',
    networks,
    exposedPorts: [...exposed].sort((a, b) => a - b),
  };
}
