import pino from 'pino';
import { FileProvider } from '../../providers/file/file-provider.js';
import { formatConfigError, type ProviderSnapshot } from '../config/dynamic-config.js';
import { loadStaticConfig, StaticConfigError } from '../config/static-load.js';
import { validateSnapshots } from '../config/validate.js';

/** `switchyard validate`: every problem of the static config and the file provider's files. */
export async function runValidate(configFile: string): Promise<number> {
  let loaded;
  try {
    loaded = loadStaticConfig(configFile);
  } catch (err) {
    if (err instanceof StaticConfigError) {
      process.stdout.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const { config, file } = loaded;
  const fp = config.providers.file;
  if (!fp) {
    process.stdout.write(`${file}: OK (no file provider: dynamic config comes from other providers at run time)\n`);
    return 0;
  }
  const snapshots: ProviderSnapshot[] = [];
  const provider = new FileProvider({
    ...(fp.directory ? { directory: fp.directory } : {}),
    ...(fp.filename ? { filename: fp.filename } : {}),
    watch: false,
  });
  await provider.start((s) => snapshots.push(s), pino({ level: 'silent' }));
  await provider.stop();
  const result = validateSnapshots(snapshots, { entryPoints: Object.keys(config.entryPoints) });
  for (const e of result.errors) process.stdout.write(`error: ${formatConfigError(e)}\n`);
  const routers = result.config.http.routers.size;
  const services = result.config.http.services.size;
  if (result.errors.length > 0) {
    process.stdout.write(`${result.errors.length} error${result.errors.length === 1 ? '' : 's'}; ${routers} routers and ${services} services would go live\n`);
    return 1;
  }
  process.stdout.write(`${file}: OK, ${routers} routers and ${services} services\n`);
  return 0;
}
