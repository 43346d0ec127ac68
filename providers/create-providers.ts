import type { StaticConfig } from '../src/config/static-config.js';
import { FileProvider } from './file/file-provider.js';
import type { Provider } from './provider.js';

/** The providers the static config asks for, in a fixed order (file first). */
export function createProviders(config: StaticConfig): Provider[] {
  const providers: Provider[] = [];
  const file = config.providers.file;
  if (file) {
    providers.push(
      new FileProvider({
        ...(file.directory ? { directory: file.directory } : {}),
        ...(file.filename ? { filename: file.filename } : {}),
        watch: file.watch,
        debounceMs: config.providers.debounce,
      }),
    );
  }
  return providers;
}
