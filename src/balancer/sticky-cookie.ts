import { createHash } from 'node:crypto';
import type { BalancerServer } from './types.js';

export interface StickyCookieOptions {
  /** Cookie name; validated as an RFC 6265 token by the config layer. */
  name: string;
  httpOnly: boolean;
  secure: boolean;
  sameSite: 'lax' | 'strict' | 'none' | '';
  /** Seconds; 0 = session cookie, < 0 = expire now (Max-Age=0). */
  maxAge: number;
  /** Default `/` when empty. */
  path: string;
  domain?: string;
}

/** Opaque cookie value of a server URL: first 16 hex chars of its sha256. */
function cookieValue(url: string): string {
  return createHash('sha256').update(url).digest('hex').slice(0, 16);
}

/**
 * Cookie-based stickiness on top of any strategy: the cookie names a server by an opaque
 * hash of its URL. Build once per pool per routing table.
 */
export class StickyCookie {
  readonly name: string;
  readonly #needle: string;
  readonly #byValue = new Map<string, BalancerServer>();
  readonly #valueByUrl = new Map<string, string>();
  readonly #headerByUrl = new Map<string, string>();
  readonly #attributes: string;

  constructor(servers: readonly BalancerServer[], options: StickyCookieOptions) {
    this.name = options.name;
    this.#needle = `${options.name}=`;
    this.#attributes = renderAttributes(options);
    for (const server of servers) {
      if (this.#valueByUrl.has(server.url)) continue;
      const value = cookieValue(server.url);
      this.#valueByUrl.set(server.url, value);
      this.#headerByUrl.set(server.url, `${this.#needle}${value}${this.#attributes}`);
      if (!this.#byValue.has(value)) this.#byValue.set(value, server);
    }
  }

  /**
   * The server named by this cookie in a raw Cookie header, if still in the pool, not
   * draining, and available (healthy, not ejected). Weight 0 is fine (drain mode keeps existing sessions). If the cookie appears
   * more than once, the first one naming a usable server wins.
   */
  serverFor(cookieHeader: string | undefined): BalancerServer | undefined {
    if (!cookieHeader) return undefined;
    const needle = this.#needle;
    let from = 0;
    for (;;) {
      const at = cookieHeader.indexOf(needle, from);
      if (at < 0) return undefined;
      from = at + needle.length;
      if (!atCookieStart(cookieHeader, at)) continue;
      let end = cookieHeader.indexOf(';', from);
      if (end < 0) end = cookieHeader.length;
      let start = from;
      while (end > start && isSpace(cookieHeader.charCodeAt(end - 1))) end--;
      if (end - start >= 2 && cookieHeader.charCodeAt(start) === 34 && cookieHeader.charCodeAt(end - 1) === 34) {
        start++;
        end--;
      }
      if (end - start === 16) {
        const server = this.#byValue.get(cookieHeader.slice(start, end));
        if (server !== undefined && !server.state.draining && server.state.available) return server;
      }
    }
  }

  /** Opaque cookie value for a server (hash of its URL, never the URL). */
  valueFor(server: BalancerServer): string {
    return this.#valueByUrl.get(server.url) ?? cookieValue(server.url);
  }

  /** Full Set-Cookie header value, e.g. `sy_app=3f2a...; Path=/; HttpOnly; SameSite=Lax`. */
  setCookieHeader(server: BalancerServer): string {
    return this.#headerByUrl.get(server.url) ?? `${this.#needle}${this.valueFor(server)}${this.#attributes}`;
  }
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9;
}

/** True when index `at` starts a cookie-pair: start of header, or after `;` and optional spaces. */
function atCookieStart(header: string, at: number): boolean {
  let j = at - 1;
  while (j >= 0 && isSpace(header.charCodeAt(j))) j--;
  return j < 0 || header.charCodeAt(j) === 59; /* ; */
}

function renderAttributes(o: StickyCookieOptions): string {
  let out = `; Path=${o.path || '/'}`;
  if (o.domain) out += `; Domain=${o.domain}`;
  if (o.maxAge > 0) out += `; Max-Age=${Math.floor(o.maxAge)}`;
  else if (o.maxAge < 0) out += '; Max-Age=0';
  // Browsers reject SameSite=None without Secure.
  if (o.secure || o.sameSite === 'none') out += '; Secure';
  if (o.httpOnly) out += '; HttpOnly';
  if (o.sameSite === 'lax') out += '; SameSite=Lax';
  else if (o.sameSite === 'strict') out += '; SameSite=Strict';
  else if (o.sameSite === 'none') out += '; SameSite=None';
  return out;
}
