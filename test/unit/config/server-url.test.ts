import { describe, expect, it } from 'vitest';
import { rng } from '../../helpers/rng.js';
import { serverUrlProblem, serverUrlProblemOfURL } from '../../../src/config/dynamic-schema.js';

// serverUrlProblem skips `new URL` for the usual `http://host:port/path`; these cases hold it
// to the `new URL` check on odd inputs and on many drawn from the pieces URLs go wrong with.


const ODD = [
  'http://127.0.0.1:9001', 'https://10.0.0.1', 'http://localhost', 'http://LOCALHOST:80/', 'HTTP://Example.COM:8080/a/b',
  'http://a', 'http://a.', 'http://a..b', 'http://.a', 'http://-a-.b', 'http://a_b.c', 'http://xn--nxasmq6b.com', 'http://xn--a.com',
  'http://XN--A.com', 'http://a.xn--zz', 'http://1.2.3.4.5', 'http://1.2.3', 'http://1.2.3.256', 'http://1.2.3.04', 'http://01.2.3.4',
  'http://0x7f.0.0.1', 'http://foo.0x1', 'http://foo.123', 'http://123', 'http://4294967295', 'http://4294967296', 'http://a.b1',
  'http://a:0', 'http://a:65535', 'http://a:65536', 'http://a:99999', 'http://a:', 'http://a:08080', 'http://a:123456', 'http://a:-1',
  'http://a/%2e', 'http://a/..', 'http://a/./b', 'http://a/b?c', 'http://a/b#c', 'http://a?', 'http://a#', 'http://u@a', 'http://u:p@a',
  'http://@a', 'http://:a', ' http://a', 'http://a ', 'http://a\t', 'http:/a', 'http:a', 'http://', 'https://', 'ftp://a', 'ws://a',
  'file:///x', 'http://[::1]:80', 'http://[::1', 'http://a\\b', 'http://a/b\\c', 'http://ä.com', 'http://a.com/ä', '', 'a', '//a',
  'http://a.com:80:80', 'http://0', 'http://0.0.0.0', 'http://255.255.255.255', 'http://a-.com', 'http://-.com', 'http://a.-',
];

const PIECES = {
  scheme: ['http://', 'https://', 'HTTP://', 'Https://', 'http:/', 'ftp://', 'ws://', 'http:\\\\', ''],
  host: ['a', 'app', 'Api-1', 'b.c', '10.0.0.1', '1.2.3.4', '256.1.1.1', '1.2.3', '1.2.3.4.5', '09.1.1.1', '0x10.1.1.1', 'x.0x1', 'x.12', '12',
    'xn--p1ai', 'a.xn--p1ai', 'xn--', 'a_b', 'a..b', 'a.', '.a', '-', 'a-', '[::1]', '[fe80::1]', 'ä', '', 'u@a', 'u:p@a', '%41', 'a%2eb'],
  port: ['', ':1', ':80', ':8080', ':65535', ':65536', ':99999', ':0', ':00080', ':', ':x', ':123456', ':-1'],
  path: ['', '/', '/a', '/a/b/', '/a.b~c_d-e', '/..', '/./x', '/%20', '/a b', '/?q', '/#f', '?q', '#f', '/ä', '\\x', '//'],
};

function pick<T>(xs: readonly T[], r: () => number): T {
  return xs[Math.floor(r() * xs.length)]!;
}

describe('serverUrlProblem', () => {
  it('agrees with the new URL check on odd inputs', () => {
    for (const text of ODD) expect(serverUrlProblem(text), text).toBe(serverUrlProblemOfURL(text));
  });

  it('agrees with the new URL check on 20,000 drawn inputs', () => {
    const r = rng(7);
    let fine = 0;
    for (let i = 0; i < 20_000; i++) {
      const text = pick(PIECES.scheme, r) + pick(PIECES.host, r) + pick(PIECES.port, r) + pick(PIECES.path, r);
      const problem = serverUrlProblemOfURL(text);
      if (problem === undefined) fine++;
      expect(serverUrlProblem(text), text).toBe(problem);
    }
    // Both kinds are well represented.
    expect(fine).toBeGreaterThan(2_000);
    expect(fine).toBeLessThan(18_000);
  });

  it('agrees on the bench shape and random hosts, ports and paths', () => {
    const r = rng(11);
    const chars = 'abz09-._~/%:@?#[]\\ AZ';
    for (let i = 0; i < 20_000; i++) {
      let host = '';
      const n = 1 + Math.floor(r() * 12);
      for (let j = 0; j < n; j++) host += pick([...chars], r);
      const text = `http://${i % 3 === 0 ? `10.${i & 255}.${(i >> 8) & 255}.${i % 7}:${Math.floor(r() * 70_000)}` : host}`;
      expect(serverUrlProblem(text), text).toBe(serverUrlProblemOfURL(text));
    }
  });
});
