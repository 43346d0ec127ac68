import { openSync } from 'node:fs';
import pino, { type Logger } from 'pino';
import type { Downstream } from '../http1/downstream.js';
import type { AccessLogEntry } from './access-log-entry.js';
import { formatEntry, type AccessLogFormat } from './format.js';

export interface AccessLogConfig {
  /** Absolute path, appended to; undefined = stdout. */
  filePath?: string | undefined;
  format: AccessLogFormat;
  /** Lines held in memory before one write (Traefik's bufferingSize); 0 = a write per line. */
  bufferingSize: number;
}

/** Held lines are written at least this often, so a quiet proxy's log is never far behind. */
const FLUSH_EVERY_MS = 1_000;

/**
 * The access log: one line per request, formatted when the request ends and written in
 * batches (`bufferingSize` lines, or every second) through pino's asynchronous destination
 * (sonic-boom), so a request never waits for the disk. Each worker process writes its own
 * batches to the same file, opened for appending: whole batches, never interleaved mid-line.
 */
export class AccessLog {
  private dest: ReturnType<typeof pino.destination> | undefined;
  private pending = '';
  private lines = 0;
  private count = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: AccessLogConfig,
    private readonly log: Logger,
  ) {}

  /** Opens the file (throws a message naming it when it cannot) and starts the flush timer. */
  open(): void {
    if (this.dest) return;
    this.dest = this.openDestination();
    this.timer = setInterval(() => this.flush(), FLUSH_EVERY_MS);
    this.timer.unref();
  }

  /**
   * After logrotate moved the file (SIGUSR1, as Traefik does): what is held goes to the old
   * file, later lines to a new one at `filePath`. A path that cannot be opened now keeps the old.
   */
  reopen(): void {
    const old = this.dest;
    if (!old || this.config.filePath === undefined) return;
    this.flush();
    try {
      this.dest = this.openDestination();
    } catch (err) {
      this.log.error({ err }, 'access log not reopened; still writing to the file it had open');
      return;
    }
    old.end();
  }

  private openDestination(): ReturnType<typeof pino.destination> {
    let fd = 1;
    if (this.config.filePath !== undefined) {
      try {
        fd = openSync(this.config.filePath, 'a');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new Error(`accessLog.filePath: cannot open ${this.config.filePath} for appending (${code ?? String(err)}); create its folder or give a path this user may write`);
      }
    }
    const dest = pino.destination({ fd, sync: false });
    // A write that fails (disk full, file gone) is reported once per kind, never a crash.
    const seen = new Set<string>();
    dest.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? err.message;
      if (seen.has(code)) return;
      seen.add(code);
      this.log.error({ err, file: this.config.filePath ?? 'stdout' }, 'access log write failed; lines are being lost');
    });
    return dest;
  }

  /** Records the request `d` (its response is complete or was cut). */
  record(d: Downstream): void {
    const note = d.note;
    const head = d.head;
    // Two headers from the raw list: building the whole lower-cased object would cost more.
    let referer = '';
    let userAgent = '';
    const raw = head.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const n = raw[i]!.length;
      if (n === 7 && referer === '' && raw[i]!.toLowerCase() === 'referer') referer = raw[i + 1]!;
      else if (n === 10 && userAgent === '' && raw[i]!.toLowerCase() === 'user-agent') userAgent = raw[i + 1]!;
    }
    const entry: AccessLogEntry = {
      start: d.startedAt,
      durationMs: Date.now() - d.startedAt,
      clientIp: note?.clientIp ?? '',
      method: head.method,
      path: head.url,
      protocol: `HTTP/${head.httpVersion}`,
      host: head.host,
      status: d.status,
      size: d.bytesSent,
      referer,
      userAgent,
      router: note?.router ?? '',
      service: note?.service ?? '',
      serverUrl: note?.serverUrl ?? '',
      attempts: note?.attempts ?? 0,
    };
    this.pending += formatEntry(this.config.format, entry, ++this.count);
    if (++this.lines >= this.config.bufferingSize) this.flush();
  }

  /** Hands the held lines to the destination (it writes them asynchronously). */
  flush(): void {
    if (this.pending === '' || !this.dest) return;
    this.dest.write(this.pending);
    this.pending = '';
    this.lines = 0;
  }

  /** Writes what is held and waits until it is on disk (shutdown). */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.flush();
    const dest = this.dest;
    this.dest = undefined;
    if (!dest) return;
    await new Promise<void>((resolve) => {
      dest.once('close', () => resolve());
      dest.once('error', () => resolve());
      dest.end();
    });
  }
}
