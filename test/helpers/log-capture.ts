import pino, { type Logger } from 'pino';

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A pino logger that keeps every line, so tests can assert what an operator would read. */
export function captureLogs(level: pino.Level = 'debug'): { log: Logger; lines: LogLine[]; matching(re: RegExp): LogLine[] } {
  const lines: LogLine[] = [];
  const log = pino({ level }, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
  return { log, lines, matching: (re) => lines.filter((l) => re.test(l.msg)) };
}
