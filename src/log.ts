import pino, { type Logger } from 'pino';
import type { LogLevel } from './config/static-config.js';

/** pino JSON lines on stdout (or `destination`), the whole product's one logger. */
export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = { level, base: { name: 'switchyard' }, timestamp: pino.stdTimeFunctions.isoTime };
  return destination ? pino(options, destination) : pino(options);
}
