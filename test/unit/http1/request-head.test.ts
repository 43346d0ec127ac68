import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Http1Parser } from '../../../src/http1/llhttp.js';
import { RequestHead } from '../../../src/http1/request-head.js';

/** The heads llhttp gives for `text`, through our wrapper. */
function parse(text: string): RequestHead[] {
  const heads: RequestHead[] = [];
  const parser = new Http1Parser('request', { onHead: (h) => void heads.push(new RequestHead(h)), onBody: () => undefined, onComplete: () => undefined });
  const ret = parser.execute(Buffer.from(text, 'latin1'));
  parser.close();
  if (typeof ret !== 'number') throw ret;
  return heads;
}

/** What Node's own http server makes of the same bytes (req.headers). */
async function nodeHeaders(text: string): Promise<http.IncomingHttpHeaders> {
  const server = http.createServer((req, res) => {
    res.end();
    server.close();
    resolveHeaders(req.headers);
  });
  let resolveHeaders!: (h: http.IncomingHttpHeaders) => void;
  const headers = new Promise<http.IncomingHttpHeaders>((r) => (resolveHeaders = r));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const socket = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.end(text);
  return headers;
}

const REQUEST = [
  'GET /p?q=1 HTTP/1.1',
  'Host: app.test',
  'Host: second.test',
  'Cookie: a=1',
  'Cookie: b=2',
  'Set-Cookie: x=1',
  'Set-Cookie: y=2',
  'Accept: text/html',
  'accept: application/json',
  'Content-Type: text/plain',
  'Content-Type: text/html',
  'X-Custom: one',
  'X-CUSTOM: two',
  'User-Agent: first',
  'User-Agent: second',
  'Connection: keep-alive',
  '',
  '',
].join('\r\n');

describe('RequestHead', () => {
  it('builds the lower-cased headers object exactly as Node does (joins, first-wins, Set-Cookie list)', async () => {
    const [head] = parse(REQUEST);
    expect({ ...head!.headers }).toEqual(await nodeHeaders(REQUEST));
  });

  it('keeps the raw list as received, and finds Host, framing and Expect in one pass', () => {
    const [get, post, chunked, continued, old] = parse(
      'GET / HTTP/1.1\r\nhOsT: A.test\r\n\r\n' +
        'POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc' +
        'POST /b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n' +
        'PUT /c HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 0\r\n\r\n' +
        'GET /d HTTP/1.0\r\n\r\n',
    );
    expect(get!.rawHeaders).toEqual(['hOsT', 'A.test']);
    expect([get!.host, get!.hasHost, get!.framing, get!.httpVersion, get!.keepAlive]).toEqual(['A.test', true, 'none', '1.1', true]);
    expect(post!.framing).toBe('length');
    expect(chunked!.framing).toBe('chunked');
    expect([continued!.expectsContinue, continued!.framing]).toEqual([true, 'none']);
    expect([old!.hasHost, old!.httpVersion, old!.keepAlive]).toEqual([false, '1.0', false]);
  });

  it('joins a head that llhttp hands over in parts (more than 32 header lines)', () => {
    const lines = Array.from({ length: 70 }, (_, i) => `X-H${i}: v${i}\r\n`).join('');
    const [head] = parse(`GET /${'long'.repeat(100)} HTTP/1.1\r\nHost: a\r\n${lines}\r\n`);
    expect(head!.rawHeaders.length).toBe(2 * 71);
    expect(head!.headers['x-h69']).toBe('v69');
    expect(head!.url).toBe(`/${'long'.repeat(100)}`);
  });
});
