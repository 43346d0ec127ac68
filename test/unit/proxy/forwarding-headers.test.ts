import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { clientResponseHeaders } from '../../../src/proxy/client-response-headers.js';
import type { ForwardInfo } from '../../../src/proxy/forwarded-headers.js';
import { connectionListed } from '../../../src/proxy/hop-by-hop.js';
import { upstreamRequestHeaders } from '../../../src/proxy/upstream-request-headers.js';

const untrusted: ForwardInfo = { peer: '10.0.0.9', clientIp: '10.0.0.9', trusted: false, proto: 'http', port: 8080 };
const trusted: ForwardInfo = { peer: '10.0.0.1', clientIp: '203.0.113.7', trusted: true, proto: 'http', port: 8080 };

/** The flat list as name → values, in order. */
function pairs(list: readonly string[]): Record<string, string[]> {
  const out = Object.create(null) as Record<string, string[]>;
  for (let i = 0; i < list.length; i += 2) (out[list[i]!] ??= []).push(list[i + 1]!);
  return out;
}

const raw = (...list: string[]): Buffer[] => list.map((s) => Buffer.from(s, 'latin1'));

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
    const headers: IncomingHttpHeaders = {
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
    const sent = pairs(upstreamRequestHeaders(headers, untrusted, true));
    expect(Object.keys(sent).sort()).toEqual(['host', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-port', 'x-forwarded-proto', 'x-normal', 'x-real-ip']);
  });

  it('sends Host only with passHost, and X-Forwarded-Host keeps the client Host either way', () => {
    const headers: IncomingHttpHeaders = { host: 'app.test:8080' };
    expect(pairs(upstreamRequestHeaders(headers, untrusted, true))).toMatchObject({ host: ['app.test:8080'], 'x-forwarded-host': ['app.test:8080'] });
    const without = pairs(upstreamRequestHeaders(headers, untrusted, false));
    expect(without.host).toBeUndefined();
    expect(without['x-forwarded-host']).toEqual(['app.test:8080']);
  });

  it('replaces the forwarded headers of an untrusted peer', () => {
    const headers: IncomingHttpHeaders = {
      'x-forwarded-for': '1.2.3.4',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'evil.test',
      'x-forwarded-port': '443',
      'x-real-ip': '9.9.9.9',
    };
    expect(pairs(upstreamRequestHeaders(headers, untrusted, true))).toEqual({
      'x-forwarded-for': ['10.0.0.9'],
      'x-forwarded-proto': ['http'],
      'x-forwarded-port': ['8080'],
      'x-real-ip': ['10.0.0.9'],
    });
  });

  it("keeps a trusted peer's forwarded headers and appends the peer to X-Forwarded-For", () => {
    const headers: IncomingHttpHeaders = { host: 'app.test', 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https', 'x-real-ip': '203.0.113.7' };
    expect(pairs(upstreamRequestHeaders(headers, trusted, true))).toEqual({
      host: ['app.test'],
      'x-forwarded-for': ['203.0.113.7, 10.0.0.1'],
      'x-forwarded-proto': ['https'],
      'x-real-ip': ['203.0.113.7'],
      'x-forwarded-host': ['app.test'],
      'x-forwarded-port': ['8080'],
    });
  });

  it('sends each value of a repeated header as its own line', () => {
    const headers = { 'set-cookie': ['a=1', 'b=2'] } as IncomingHttpHeaders;
    expect(pairs(upstreamRequestHeaders(headers, untrusted, true))['set-cookie']).toEqual(['a=1', 'b=2']);
  });

  it('is not fooled by header names that are Object.prototype keys', () => {
    const headers = { constructor: 'x', __proto__: null } as unknown as IncomingHttpHeaders;
    expect(pairs(upstreamRequestHeaders(headers, untrusted, true)).constructor).toEqual(['x']);
  });
});

describe('clientResponseHeaders', () => {
  it('keeps names as sent, repeated headers as separate lines, and latin1 bytes unchanged', () => {
    const list = clientResponseHeaders(raw('Content-Type', 'text/plain', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'X-Name', 'caf\u00e9'), undefined);
    expect(list).toEqual(['Content-Type', 'text/plain', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'X-Name', 'caf\u00e9']);
  });

  it('drops hop-by-hop headers, Transfer-Encoding and what Connection lists, in any case', () => {
    const list = clientResponseHeaders(
      raw('Connection', 'close, X-Hop', 'Keep-Alive', 'timeout=9', 'Transfer-Encoding', 'chunked', 'X-HOP', 'secret', 'Proxy-Connection', 'x', 'X-Normal', 'yes'),
      undefined,
    );
    expect(list).toEqual(['X-Normal', 'yes']);
  });

  it('adds the sticky cookie after the upstream Set-Cookie headers', () => {
    expect(clientResponseHeaders(raw('set-cookie', 'a=1'), 'sy=abc; Path=/')).toEqual(['set-cookie', 'a=1', 'set-cookie', 'sy=abc; Path=/']);
  });
});
