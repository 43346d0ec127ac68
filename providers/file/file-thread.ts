// The file provider's thread (started by watched-file-provider.ts for big files): runs the FileProvider —
// chokidar, reading and parsing YAML — off the main thread, and sends it each snapshot as a
// patch against the last, in parts (file-thread-protocol.ts). Parsing is most of a reload's
// CPU (a 50-router file ~1 ms, a 10,000-router one ~300 ms in one piece); here it no longer
// holds up requests.
import { parentPort, workerData } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { ProviderSnapshot } from '../../src/config/dynamic-config.js';
import { FileProvider } from './file-provider.js';
import { PatchSender, type FileThreadData, type FromFileThread, type LogLevel, type PatchPart, type ToFileThread } from './file-thread-protocol.js';

const LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
const port = parentPort;
if (!port) throw new Error('file-thread.js is the file provider thread; it is started by the file provider, not run directly');
const data = workerData as FileThreadData;
const send = (message: FromFileThread): void => port.postMessage(message);

const patches = new PatchSender();
/** Parts of the patch being sent; the next goes when the main thread acks the previous one. */
let sending: PatchPart[] = [];
let awaitingAck = false;
/** The newest snapshot not yet sent: older unsent ones are dropped (only the latest counts). */
let pending: ProviderSnapshot | undefined;

function sendNext(): void {
  if (awaitingAck) return;
  if (sending.length === 0 && pending) {
    sending = patches.parts(pending);
    pending = undefined;
  }
  const part = sending.shift();
  if (!part) return;
  awaitingAck = true;
  send({ type: 'part', ...part });
}

const provider = new FileProvider(data.options);
provider.seed(data.seed);
const started = provider.start((snapshot) => {
  pending = snapshot;
  sendNext();
}, threadLogger(data.logLevel));
port.on('message', (message: ToFileThread) => {
  if (message.type === 'ack') {
    awaitingAck = false;
    sendNext();
  } else if (message.type === 'stop') {
    // After start() is done: a watcher it set up after stop() would keep the thread alive.
    // Closing the port leaves the thread nothing to wait for: it ends, and the main thread sees it exit.
    void started.finally(() => provider.stop()).then(() => port.close());
  }
});

/**
 * The Logger subset the provider uses (child, and a method per level), shipping each record to
 * the main thread, whose pino logger writes it: one log stream, one format.
 */
function threadLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  const index = LEVELS.indexOf(level as LogLevel);
  // `silent` (or anything unknown past fatal) ships nothing.
  const min = index >= 0 ? index : LEVELS.length;
  const logger: Record<string, unknown> = {
    level,
    child: (more: Record<string, unknown>) => threadLogger(level, { ...bindings, ...more }),
  };
  LEVELS.forEach((name, i) => {
    logger[name] = (fields: unknown, msg?: string) => {
      if (i < min) return;
      const own = typeof fields === 'object' && fields !== null ? (fields as Record<string, unknown>) : {};
      const text = typeof fields === 'string' ? fields : (msg ?? '');
      const out: Record<string, unknown> = { ...bindings };
      for (const [key, value] of Object.entries(own)) out[key] = value instanceof Error ? plainError(value) : value;
      try {
        send({ type: 'log', level: name, fields: out, msg: text });
      } catch {
        // A field that cannot be cloned (a function, say): the line goes without the fields.
        send({ type: 'log', level: name, fields: { ...bindings }, msg: text });
      }
    };
  });
  return logger as unknown as Logger;
}

/** An Error as pino would print it: a structured clone keeps only name, message and stack, not `code` or `path`. */
function plainError(err: Error): Record<string, unknown> {
  return { ...err, type: err.name, message: err.message, stack: err.stack };
}
