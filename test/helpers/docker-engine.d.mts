/** Types for docker-engine.mjs (plain JavaScript, shared with bench/docker.mjs). */
import type Docker from 'dockerode';

/** The image every test container runs: Debian's static busybox, imported (never pulled). */
export const BUSYBOX_IMAGE: string;

/** Absolute path of dockerd; throws an error saying how to install it when missing. */
export function requireDockerd(): string;
/** Path of a statically linked busybox; throws an error saying how to install it when missing. */
export function requireStaticBusybox(): string;
/** A loopback port that was free a moment ago. */
export function freePort(): Promise<number>;

export interface DockerEngine {
  /** The throwaway folder holding its socket, data and exec roots. */
  readonly root: string;
  /** Path of its API socket. */
  readonly socket: string;
  /** `unix:///…/docker.sock`, for providers.docker.endpoint. */
  readonly endpoint: string;
  /** A client on the engine's socket. */
  readonly docker: Docker;
  /** Starts dockerd (after stop()) and waits for /_ping. */
  start(): Promise<Docker>;
  /** SIGTERM and wait for the exit (dockerd stops every container first). */
  stop(): Promise<void>;
  /**
   * Stop, then start on the same socket and data. With `prepare`, the engine first runs on a side
   * socket where `prepare` changes containers, so the changes are in place before the real socket
   * answers (containers with restart policy `always` are started before the API is served).
   */
  restart(prepare?: (side: Docker) => Promise<void>): Promise<void>;
  /** Stop, unmount what it left under `root`, remove `root`. */
  destroy(): Promise<void>;
}

/** A private dockerd in a fresh temp folder, with the busybox image imported. */
export function startDockerEngine(): Promise<DockerEngine>;

export interface ContainerOptions {
  name: string;
  labels?: Record<string, string>;
  /** Default: sleep for a day. */
  cmd?: string[];
  /** TCP ports to expose (`--expose`). */
  expose?: number[];
  /** A Docker health check (`--health-cmd`, run by busybox sh). */
  health?: { cmd: string; intervalMs: number; timeoutMs?: number; retries?: number };
  /** Restart policy `always`: it comes back when the engine restarts. */
  restartAlways?: boolean;
  /** Default true. */
  start?: boolean;
}

/** Creates (and starts) a busybox container on the host network with --init. */
export function runContainer(docker: Docker, options: ContainerOptions): Promise<Docker.Container>;
/** busybox httpd on 127.0.0.1:`port` answering `body` at `path` (`/` or one segment such as `/app`). */
export function httpdCommand(port: number, body: string, path?: string): string[];
export function gracefulHttpdCommand(port: number, body: string, path?: string, graceMs?: number): string[];
export function removeContainer(docker: Docker, idOrName: string): Promise<void>;
/** Removes every container carrying label `key` (with `value`, when given). */
export function removeLabelled(docker: Docker, key: string, value?: string): Promise<void>;
