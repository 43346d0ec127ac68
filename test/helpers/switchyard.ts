import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { stringify } from 'yaml';
import { parseStaticConfig } from '../../src/config/static-load.js';
import type { BalancerOptions } from '../../src/balancer/types.js';
import { Switchyard } from '../../src/switchyard.js';

export interface TestSwitchyard {
  app: Switchyard;
  /** `http://127.0.0.1:PORT` of entry point `web`. */
  url: string;
  port: number;
  apiUrl: string | undefined;
  /** The folder of dynamic files the file provider watches. */
  dir: string;
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
  };
  const merged = deepMerge(base, options.static ?? {});
  const { config } = parseStaticConfig(stringify(merged), path.join(root, 'switchyard.yaml'));
  const log = pino({ level: options.logLevel ?? 'silent' });
  const app = new Switchyard(config, { log, ...(options.balancer ? { balancer: options.balancer } : {}) });
  await app.start();
  const port = app.address('web').port;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    port,
    apiUrl: app.apiPort ? `http://127.0.0.1:${app.apiPort}` : undefined,
    dir,
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
