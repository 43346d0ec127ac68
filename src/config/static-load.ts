import { readFileSync } from 'node:fs';
import path from 'node:path';
import { lineOf, parseYaml } from './parse-yaml.js';
import { staticConfigSchema, type StaticConfig } from './static-config.js';
import { issuesOf } from './zod-helpers.js';

/** The static config could not be used; `problems` lists every one, each naming its field. */
export class StaticConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`invalid static config ${file}:\n  ${problems.join('\n  ')}`);
    this.name = 'StaticConfigError';
  }
}

export interface LoadedStaticConfig {
  config: StaticConfig;
  /** Absolute path of the file it came from. */
  file: string;
}

export function loadStaticConfig(file: string): LoadedStaticConfig {
  const absolute = path.resolve(file);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, expected a YAML file' : String(err);
    throw new StaticConfigError(absolute, [`cannot read the config file: ${why}`]);
  }
  return parseStaticConfig(text, absolute);
}

/** Parses and validates static config text; relative paths resolve against `file`'s folder. */
export function parseStaticConfig(text: string, file: string): LoadedStaticConfig {
  const read = parseYaml(text, file);
  if (!read.ok) {
    throw new StaticConfigError(file, [`${read.line ? `line ${read.line}, column ${read.col ?? 1}: ` : ''}${read.message}`]);
  }
  // jitless: for one parse, zod's compiled fast path (a new Function per object shape) costs more than it saves.
  const parsed = staticConfigSchema.safeParse(read.value ?? {}, { jitless: true });
  if (!parsed.success) {
    throw new StaticConfigError(
      file,
      issuesOf(parsed.error).map((i) => {
        const line = lineOf(read.origins, i.path);
        return `${line ? `line ${line}: ` : ''}${i.field || '(top level)'}: ${i.message}`;
      }),
    );
  }
  const config = parsed.data;
  const dir = path.dirname(file);
  const fp = config.providers.file;
  if (fp?.directory) fp.directory = path.resolve(dir, fp.directory);
  if (fp?.filename) fp.filename = path.resolve(dir, fp.filename);
  if (config.accessLog?.filePath) config.accessLog.filePath = path.resolve(dir, config.accessLog.filePath);
  // TLS files of every provider, like every relative path, belong to the config's folder.
  for (const provider of [config.providers.redis, config.providers.etcd, config.providers.docker]) {
    const tls = provider?.tls as Partial<Record<'ca' | 'cert' | 'key', string>> | undefined;
    if (!tls) continue;
    for (const field of ['ca', 'cert', 'key'] as const) {
      const file = tls[field];
      if (file) tls[field] = path.resolve(dir, file);
    }
  }
  return { config, file };
}
