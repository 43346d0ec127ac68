import { describe, expect, it } from 'vitest';
import { clientResponseHeaders } from '../../../src/proxy/client-response-headers.js';
import type { ForwardInfo } from '../../../src/proxy/forwarded-headers.js';
import { connectionListed } from '../../../src/proxy/hop-by-hop.js';
import { upstreamRequestHeaders } from '../../../src/proxy/upstream-request-headers.js';

const untrusted: ForwardInfo = { peer: '10.0.0.9', clientIp: '10.0.0.9', trusted: false, proto: 'http', port: 8080 };
const trusted: ForwardInfo = { peer: '10.0.0.1', clientIp: '203.0.113.7', trusted: true, proto: 'http', port: 8080 };

/** Header lines (`Name: value\r\n` …) as lower-cased name → values, in order. */
function lines(text: string): Record<string, string[]> {
  const out = Object.create(null) as Record<string, string[]>;
  expect(text.endsWith('\r\n')).toBe(true);
  for (const line of text.slice(0, -2).split('\r\n')) {
    const colon = line.indexOf(': ');
    (out[line.slice(0, colon).toLowerCase()] ??= []).push(line.slice(colon + 2));
  }
  return out;
}

/** A request's raw header list from name → value (a list value = repeated lines). */
function rawOf(headers: Record<string, string | string[]>): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(headers)) for (const v of [value].flat()) out.push(name, v);
  return out;
}

/** What upstreamRequestHeaders sends, plus the Host line the forwarder writes before it with passHost. */
function sent(headers: Record<string, string | string[]>, info: ForwardInfo, passHost = true): Record<string, string[]> {
  const raw = rawOf(headers);
  const host = typeof headers['host'] === 'string' ? headers['host'] : '';
  const out = lines(upstreamRequestHeaders(raw, host, info));
  return passHost && host !== '' ? { host: [host], ...out } : out;
}

describe('connectionListed', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['keep-alive', undefined],
    [' Close ', undefined],
    ['close, X-Secret, keep-alive', ['x-secret']],
    ['Upgrade, HTTP2-Settings', ['http2-settings']],
  ])('%j → %j', (value, expected) => {
    expect(connectionListed(value)).toEqual(expected);
  });
});

describe('upstreamRequestHeaders', () => {
  it('drops hop-by-hop headers, Transfer-Encoding, Expect and what Connection lists', () => {
    const headers = {
      host: 'app.test',
      connection: 'keep-alive, X-Secret',
      'keep-alive': 'timeout=5',
      'proxy-connection': 'keep-alive',
      te: 'trailers',
      trailer: 'x-t',
      upgrade: 'h2c',
      'transfer-encoding': 'chunked',
      expect: '100-continue',
      'x-secret': '1',
      'x-normal': 'yes',
    };
    expect(Object.keys(sent(headers, untrusted, true)).sort()).toEqual(['host', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-port', 'x-forwarded-proto', 'x-normal', 'x-real-ip']);
  });

  it('never writes Host itself (the forwarder does), and X-Forwarded-Host keeps the client Host', () => {
    const headers = { host: 'app.test:8080' };
    expect(sent(headers, untrusted, true)).toMatchObject({ host: ['app.test:8080'], 'x-forwarded-host': ['app.test:8080'] });
    const without = lines(upstreamRequestHeaders(rawOf(headers), 'app.test:8080', untrusted));
    expect(without.host).toBeUndefined();
    expect(without['x-forwarded-host']).toEqual(['app.test:8080']);
  });

  it('replaces the forwarded headers of an untrusted peer', () => {
    const headers = {
      'x-forwarded-for': '1.2.3.4',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'evil.test',
      'x-forwarded-port': '443',
      'x-real-ip': '9.9.9.9',
    };
    expect(sent(headers, untrusted, true)).toEqual({
      'x-forwarded-for': ['10.0.0.9'],
      'x-forwarded-proto': ['http'],
      'x-forwarded-port': ['8080'],
      'x-real-ip': ['10.0.0.9'],
    });
  });

  it("keeps a trusted peer's forwarded headers and appends the peer to X-Forwarded-For", () => {
    const headers = { host: 'app.test', 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https', 'x-real-ip': '203.0.113.7' };
    expect(sent(headers, trusted, true)).toEqual({
      host: ['app.test'],
      'x-forwarded-for': ['203.0.113.7, 10.0.0.1'],
      'x-forwarded-proto': ['https'],
      'x-real-ip': ['203.0.113.7'],
      'x-forwarded-host': ['app.test'],
      'x-forwarded-port': ['8080'],
    });
  });

  it('sends each value of a repeated header as its own line', () => {
    const headers = { 'set-cookie': ['a=1', 'b=2'] };
    expect(sent(headers, untrusted, true)['set-cookie']).toEqual(['a=1', 'b=2']);
  });

  it('is not fooled by header names that are Object.prototype keys', () => {
    const headers = { constructor: 'x' };
    expect(sent(headers, untrusted, true).constructor).toEqual(['x']);
  });
});

describe('clientResponseHeaders', () => {
  it('keeps names as sent, repeated headers as separate lines, and latin1 bytes unchanged', () => {
    const { headers: list } = clientResponseHeaders(['Content-Type', 'text/plain', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'X-Name', 'caf\u00e9'], undefined, false);
    expect(list).toEqual(['Content-Type', 'text/plain', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'X-Name', 'caf\u00e9']);
  });

  it('drops hop-by-hop headers, Transfer-Encoding and what Connection lists, in any case', () => {
    const { headers: list, contentLength } = clientResponseHeaders(
      ['Connection', 'close, X-Hop', 'Keep-Alive', 'timeout=9', 'Transfer-Encoding', 'chunked', 'X-HOP', 'secret', 'Proxy-Connection', 'x', 'X-Normal', 'yes'],
      undefined,
      false,
    );
    expect(list).toEqual(['X-Normal', 'yes']);
    expect(contentLength).toBe(-1);
  });

  it('adds the sticky cookie after the upstream Set-Cookie headers', () => {
    expect(clientResponseHeaders(['set-cookie', 'a=1'], 'sy=abc; Path=/', false).headers).toEqual(['set-cookie', 'a=1', 'Set-Cookie', 'sy=abc; Path=/']);
  });

  it('takes Content-Length out as the framing, or keeps it for a response without a body', () => {
    expect(clientResponseHeaders(['Content-Length', '12', 'X-A', '1'], undefined, false)).toEqual({ headers: ['X-A', '1'], contentLength: 12 });
    expect(clientResponseHeaders(['Content-Length', '12', 'X-A', '1'], undefined, true)).toEqual({ headers: ['Content-Length', '12', 'X-A', '1'], contentLength: 12 });
    // With Transfer-Encoding, a Content-Length is not the framing (RFC 9112 §6.3).
    expect(clientResponseHeaders(['Content-Length', '12', 'Transfer-Encoding', 'chunked'], undefined, false).contentLength).toBe(-1);
  });
});
