import { fileURLToPath } from 'node:url';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { stringify } from 'yaml';
import { parseStaticConfig } from '../../src/config/static-load.js';
import type { BalancerOptions } from '../../src/balancer/types.js';
import type { ServerStats } from '../../src/api/live-stats.js';
import { Switchyard } from '../../src/switchyard.js';
import { workerCount } from '../../src/cluster/worker-count.js';

export interface TestSwitchyard {
  app: Switchyard;
  /** `http://127.0.0.1:PORT` of entry point `web`. */
  url: string;
  port: number;
  apiUrl: string | undefined;
  /** The folder of dynamic files the file provider watches. */
  dir: string;
  /** Worker processes serving traffic (0 = this process serves it; see SWITCHYARD_TEST_WORKERS). */
  workers: number;
  /** The newest config version serving traffic (in every worker, in workers mode). */
  version(): number;
  /** What traffic did to `url` of `service` (added up over the workers, in workers mode). */
  traffic(url: string, service?: string): Promise<ServerStats>;
  /** Writes (replaces) a dynamic config file in `dir`; objects are written as YAML. */
  writeDynamic(name: string, content: object | string): Promise<void>;
  close(): Promise<void>;
}

export interface TestSwitchyardOptions {
  /** Extra static config merged into the default (entry point `web` on an ephemeral port). */
  static?: Record<string, unknown>;
  /** Dynamic files written before start. */
  dynamic?: Record<string, object | string>;
  api?: boolean;
  balancer?: BalancerOptions;
  logLevel?: pino.Level | 'silent';
}

/**
 * Runs the integration suite in `workers` mode when set (`SWITCHYARD_TEST_WORKERS=2`): the
 * Switchyard in this process becomes the primary and forks the compiled worker from dist/
 * (build first). A test's own `workers` setting wins.
 */
const TEST_WORKERS = Number(process.env.SWITCHYARD_TEST_WORKERS ?? 0);
const WORKER_ENTRY = fileURLToPath(new URL('../../dist/src/cluster/worker-main.js', import.meta.url));

/**
 * For a test that asserts balancing state shared by every connection (leastConn counts, one
 * round-robin cursor for all connections): with workers each process balances its own
 * connections (docs/architecture.md, "Workers"), so such a test runs in one process in either mode.
 */
export const ONE_PROCESS = { workers: 1 } as const;

/** A real Switchyard in this process with a throwaway config folder, on ephemeral ports. */
export async function startSwitchyard(options: TestSwitchyardOptions = {}): Promise<TestSwitchyard> {
  const root = await mkdtemp(path.join(tmpdir(), 'switchyard-test-'));
  const dir = path.join(root, 'dynamic');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(dir);
  const writeDynamic = async (name: string, content: object | string): Promise<void> => {
    await writeFile(path.join(dir, name), typeof content === 'string' ? content : stringify(content));
  };
  for (const [name, content] of Object.entries(options.dynamic ?? {})) await writeDynamic(name, content);
  const base: Record<string, unknown> = {
    entryPoints: { web: { address: '127.0.0.1:0' } },
    providers: { file: { directory: './dynamic' } },
    ...(options.api ? { api: { address: '127.0.0.1:0' } } : {}),
    log: { level: options.logLevel ?? 'silent' },
    ...(TEST_WORKERS > 1 ? { workers: TEST_WORKERS } : {}),
  };
  const merged = deepMerge(base, options.static ?? {});
  const { config } = parseStaticConfig(stringify(merged), path.join(root, 'switchyard.yaml'));
  const log = pino({ level: options.logLevel ?? 'silent' });
  const app = new Switchyard(config, { log, workerEntry: WORKER_ENTRY, ...(options.balancer ? { balancer: options.balancer } : {}) });
  try {
    await app.start();
  } catch (err) {
    await app.stop();
    await rm(root, { recursive: true, force: true });
    throw err;
  }
  const port = app.address('web').port;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    port,
    apiUrl: app.apiPort ? `http://127.0.0.1:${app.apiPort}` : undefined,
    dir,
    workers: app.workers ? workerCount(config.workers) : 0,
    version: () => app.servingVersion,
    traffic: async (url, service = 'app@file') => {
      const stats = (await app.liveStats()).servers.get(`${service}|${url}`);
      if (!stats) throw new Error(`no server ${url} in ${service}`);
      return stats;
    },
    writeDynamic,
    close: async () => {
      await app.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prior = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && prior && typeof prior === 'object' && !Array.isArray(prior)
        ? deepMerge(prior as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

/** A dynamic config with one router → one service over `urls`. */
export function singleService(
  urls: string[],
  opts: { rule?: string; lb?: Record<string, unknown>; weights?: number[]; name?: string } = {},
): object {
  const name = opts.name ?? 'app';
  return {
    http: {
      routers: { [name]: { rule: opts.rule ?? 'PathPrefix(`/`)', service: name } },
      services: {
        [name]: {
          loadBalancer: {
            ...opts.lb,
            servers: urls.map((url, i) => (opts.weights ? { url, weight: opts.weights[i] } : { url })),
          },
        },
      },
    },
  };
}
