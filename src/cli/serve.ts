import { loadStaticConfig, StaticConfigError } from '../config/static-load.js';
import type { LogLevel } from '../config/static-config.js';
import { createLogger } from '../log.js';
import { Switchyard } from '../switchyard.js';
import { startupDone } from './compile-cache.js';

/** `switchyard --config FILE`: runs until SIGTERM/SIGINT, then stops gracefully. Returns the exit code. */
export async function runServe(configFile: string, logLevel: string | undefined): Promise<number> {
  let loaded;
  try {
    loaded = loadStaticConfig(configFile);
  } catch (err) {
    if (err instanceof StaticConfigError) {
      process.stderr.write(`switchyard: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const config = loaded.config;
  if (logLevel) config.log.level = logLevel as LogLevel;
  const log = createLogger(config.log.level);
  log.info({ config: loaded.file }, 'starting switchyard');
  // Workers run this same command file (see main.ts), bundled or not.
  const app = new Switchyard(config, { log, workerEntry: process.argv[1]! });
  // Signals are handled from the very start: a SIGTERM during start-up still stops cleanly.
  // A second signal means "now": exit without waiting for in-flight requests.
  let signals = 0;
  const stopRequested = new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      signals++;
      if (signals === 1) {
        log.info({ signal }, 'shutting down: finishing in-flight requests (send the signal again to exit at once)');
        resolve();
        return;
      }
      log.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    // logrotate's postrotate (`kill -USR1`), as for Traefik: the access log opens its file again.
    process.on('SIGUSR1', () => {
      log.info('SIGUSR1: reopening the access log');
      app.reopenLogs();
    });
  });
  try {
    await app.start();
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
    const hint =
      e.code === 'EADDRINUSE'
        ? `address ${e.address}:${e.port} is already in use; stop the other process or change the address in ${loaded.file}`
        : e.code === 'EACCES'
          ? `not allowed to listen on ${e.address}:${e.port}; ports below 1024 need root or CAP_NET_BIND_SERVICE`
          : e.message;
    log.fatal({ err }, `cannot start: ${hint}`);
    process.stderr.write(`switchyard: cannot start: ${hint}\n`);
    await app.stop().catch(() => undefined);
    return 1;
  }
  startupDone();
  await stopRequested;
  await app.stop();
  log.info('stopped');
  return 0;
}
