import https from 'node:https';
import type { DockerOptions } from 'dockerode';
import { loadTls, type KvTlsOptions } from '../kv/kv-tls.js';

export interface EngineAddress {
  /** For dockerode. */
  options: DockerOptions;
  /** Address of containers on the host network: the engine's host, 127.0.0.1 for a socket. */
  hostAddress: string;
}

const UNIX = /^unix:\/\/(\/.+)$/;
const TCP = /^tcp:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})\/?$/;

/** What is wrong with an endpoint, or undefined (checked once, in the static config). */
export function endpointProblem(endpoint: string): string | undefined {
  if (UNIX.test(endpoint)) return undefined;
  const tcp = TCP.exec(endpoint);
  if (tcp && Number(tcp[2]) >= 1 && Number(tcp[2]) <= 65535) return undefined;
  return `expected unix:///path/to/docker.sock or tcp://host:port, got ${JSON.stringify(endpoint)}`;
}

/**
 * `unix:///var/run/docker.sock` or `tcp://host:2375` (`tls` → HTTPS with the given PEM files).
 * Options are explicit so that DOCKER_HOST and friends in the environment cannot redirect us.
 */
export function engineAddress(endpoint: string, tls?: KvTlsOptions): EngineAddress {
  const unix = UNIX.exec(endpoint);
  if (unix) return { options: { socketPath: unix[1]!, host: undefined, timeout: 0 }, hostAddress: '127.0.0.1' };
  const tcp = TCP.exec(endpoint);
  if (!tcp) throw new Error(`providers.docker.endpoint: ${endpointProblem(endpoint)}`);
  const host = tcp[1]!;
  const material = tls ? loadTls('docker', tls) : undefined;
  const bare = host.replace(/^\[|\]$/g, '');
  const options: DockerOptions = {
    host: bare,
    port: Number(tcp[2]),
    protocol: material ? 'https' : 'http',
    timeout: 0,
    ...(material?.ca ? { ca: material.ca } : {}),
    ...(material?.cert ? { cert: material.cert } : {}),
    ...(material?.key ? { key: material.key } : {}),
    // docker-modem hands `agent` to https.request; only it can turn verification off.
    ...(material?.insecureSkipVerify ? ({ agent: new https.Agent({ rejectUnauthorized: false }) } as DockerOptions) : {}),
  };
  const loopback = bare === 'localhost' || bare === '::1' || bare.startsWith('127.');
  return { options, hostAddress: loopback ? '127.0.0.1' : host };
}
