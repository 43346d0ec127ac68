import type { AccessLogEntry } from './access-log-entry.js';

export type AccessLogFormat = 'common' | 'json';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** `[10/Oct/2000:13:55:36 +0000]`, computed once per second, not per line. */
let stampSecond = -1;
let stamp = '';
function clfTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== stampSecond) {
    const d = new Date(second * 1000);
    stamp = `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
    stampSecond = second;
  }
  return stamp;
}

/** A quoted CLF field: `-` when empty; quotes and control bytes escaped so a line stays one line. */
function quoted(value: string): string {
  if (value === '') return '"-"';
  // eslint-disable-next-line no-control-regex
  return `"${/["\\\x00-\x1f\x7f]/.test(value) ? value.replace(/["\\\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`) : value}"`;
}

/**
 * Traefik's Common Log Format line: client, ident, user, time, request line, status, size,
 * referer, user agent, request count, router, server URL, duration.
 */
function common(e: AccessLogEntry, count: number): string {
  return `${e.clientIp} - - [${clfTime(e.start)}] ${quoted(`${e.method} ${e.path} ${e.protocol}`)} ${e.status === 0 ? '-' : e.status} ${e.size} ${quoted(e.referer)} ${quoted(e.userAgent)} ${count} ${quoted(e.router)} ${quoted(e.serverUrl)} ${Math.round(e.durationMs)}ms\n`;
}

/** One JSON object a line, with Traefik's access-log field names. */
function json(e: AccessLogEntry, count: number): string {
  return `${JSON.stringify({
    StartUTC: new Date(e.start).toISOString(),
    Duration: Math.round(e.durationMs * 1e6),
    ClientHost: e.clientIp,
    RequestMethod: e.method,
    RequestPath: e.path,
    RequestProtocol: e.protocol,
    RequestHost: e.host,
    DownstreamStatus: e.status,
    DownstreamContentSize: e.size,
    RouterName: e.router,
    ServiceName: e.service,
    ServiceURL: e.serverUrl,
    RetryAttempts: Math.max(0, e.attempts - 1),
    RequestCount: count,
    'request_Referer': e.referer,
    'request_User-Agent': e.userAgent,
  })}\n`;
}

/** One line (with its newline); `count` = requests logged by this process so far, this one included. */
export function formatEntry(format: AccessLogFormat, entry: AccessLogEntry, count: number): string {
  return format === 'json' ? json(entry, count) : common(entry, count);
}
