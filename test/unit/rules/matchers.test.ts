import { describe, expect, it } from 'vitest';
import { matches } from './helpers.js';

describe('Host', () => {
  it('matches the exact host, case-insensitively on the rule side', () => {
    expect(matches('Host(`example.com`)', { host: 'example.com' })).toBe(true);
    expect(matches('Host(`EXAMPLE.Com`)', { host: 'example.com' })).toBe(true);
    expect(matches('host(`example.com`)', { host: 'example.com' })).toBe(true);
    expect(matches('Host(`example.com`)', { host: 'example.org' })).toBe(false);
    expect(matches('Host(`example.com`)', { host: 'www.example.com' })).toBe(false);
    expect(matches('Host(`example.com`)', { host: '' })).toBe(false);
  });

  it('ignores a port in the rule value', () => {
    expect(matches('Host(`example.com:8080`)', { host: 'example.com' })).toBe(true);
  });

  it('ORs several values', () => {
    const rule = 'Host(`a.com`, "B.com")';
    expect(matches(rule, { host: 'a.com' })).toBe(true);
    expect(matches(rule, { host: 'b.com' })).toBe(true);
    expect(matches(rule, { host: 'c.com' })).toBe(false);
  });

  it('matches exactly one extra label for a wildcard', () => {
    const rule = 'Host(`*.Example.com`)';
    expect(matches(rule, { host: 'a.example.com' })).toBe(true);
    expect(matches(rule, { host: 'example.com' })).toBe(false);
    expect(matches(rule, { host: '.example.com' })).toBe(false);
    expect(matches(rule, { host: 'a.b.example.com' })).toBe(false);
    expect(matches(rule, { host: 'aexample.com' })).toBe(false);
    expect(matches(rule, { host: 'a.example.com.evil' })).toBe(false);
  });

  it('mixes wildcard and exact values', () => {
    const rule = 'Host(`*.example.com`, `example.com`)';
    expect(matches(rule, { host: 'example.com' })).toBe(true);
    expect(matches(rule, { host: 'www.example.com' })).toBe(true);
    expect(matches(rule, { host: 'example.net' })).toBe(false);
  });

  it('supports IPv6 literals, bracketed or not, with or without port', () => {
    expect(matches('Host(`[::1]`)', { host: '[::1]' })).toBe(true);
    expect(matches('Host(`[::1]`)', { host: '::1' })).toBe(true);
    expect(matches('Host(`[::1]:8443`)', { host: '[::1]' })).toBe(true);
    expect(matches('Host(`[2001:DB8::1]`)', { host: '[2001:db8::1]' })).toBe(true);
    expect(matches('Host(`[::1]`)', { host: '[::2]' })).toBe(false);
    expect(matches('Host(`127.0.0.1`)', { host: '127.0.0.1' })).toBe(true);
  });
});

describe('HostRegexp', () => {
  it('tests the regexp (unanchored unless the user anchors it) case-insensitively', () => {
    expect(matches('HostRegexp(`^[a-z]+\\.example\\.com$`)', { host: 'api.example.com' })).toBe(true);
    expect(matches('HostRegexp(`^[A-Z]+\\.EXAMPLE\\.com$`)', { host: 'api.example.com' })).toBe(true);
    expect(matches('HostRegexp(`^[a-z]+\\.example\\.com$`)', { host: 'a.b.example.com' })).toBe(false);
    expect(matches('HostRegexp(`example`)', { host: 'www.example.org' })).toBe(true);
    expect(matches('HostRegexp(`^example`)', { host: 'www.example.org' })).toBe(false);
  });

  it('strips a leading (?i) and accepts Go named groups', () => {
    expect(matches('HostRegexp(`(?i)^API\\.`)', { host: 'api.example.com' })).toBe(true);
    expect(matches('HostRegexp(`^(?P<sub>[a-z]+)\\.example\\.com$`)', { host: 'x.example.com' })).toBe(true);
  });
});

describe('Path, PathPrefix, PathRegexp', () => {
  it('Path needs exact equality', () => {
    expect(matches('Path(`/api`)', { path: '/api' })).toBe(true);
    expect(matches('Path(`/api`)', { path: '/api/' })).toBe(false);
    expect(matches('Path(`/api`)', { path: '/API' })).toBe(false);
    expect(matches('Path(`/a`, `/b`)', { path: '/b' })).toBe(true);
    expect(matches('Path(`/a`, `/b`)', { path: '/c' })).toBe(false);
  });

  it('PathPrefix needs a prefix', () => {
    expect(matches('PathPrefix(`/api`)', { path: '/api' })).toBe(true);
    expect(matches('PathPrefix(`/api`)', { path: '/api/v1' })).toBe(true);
    expect(matches('PathPrefix(`/api`)', { path: '/ap' })).toBe(false);
    expect(matches('PathPrefix(`/api`)', { path: '/v1/api' })).toBe(false);
    expect(matches('PathPrefix(`/a`, `/b`)', { path: '/b/c' })).toBe(true);
    expect(matches('PathPrefix(`/a`, `/b`)', { path: '/c/b' })).toBe(false);
  });

  it('PathRegexp is case-sensitive unless (?i) is given', () => {
    expect(matches('PathRegexp(`^/users/[0-9]+$`)', { path: '/users/42' })).toBe(true);
    expect(matches('PathRegexp(`^/users/[0-9]+$`)', { path: '/users/x' })).toBe(false);
    expect(matches('PathRegexp(`\\.(css|js)$`)', { path: '/static/app.js' })).toBe(true);
    expect(matches('PathRegexp(`^/Users`)', { path: '/users' })).toBe(false);
    expect(matches('PathRegexp(`(?i)^/Users`)', { path: '/users' })).toBe(true);
  });
});

describe('Header', () => {
  it('matches the exact value; the name is case-insensitive', () => {
    expect(matches('Header(`X-Env`, `prod`)', { headers: { 'x-env': 'prod' } })).toBe(true);
    expect(matches('Header(`x-ENV`, `prod`)', { headers: { 'x-env': 'prod' } })).toBe(true);
    expect(matches('Header(`X-Env`, `prod`)', { headers: { 'x-env': 'Prod' } })).toBe(false);
    expect(matches('Header(`X-Env`, `prod`)', { headers: { 'x-env': 'production' } })).toBe(false);
    expect(matches('Header(`X-Env`, `prod`)', { headers: {} })).toBe(false);
  });

  it('matches an empty value only when the header is present and empty', () => {
    expect(matches('Header(`X-Env`, ``)', { headers: { 'x-env': '' } })).toBe(true);
    expect(matches('Header(`X-Env`, ``)', { headers: {} })).toBe(false);
  });

  it('accepts any element of an array', () => {
    const headers = { 'set-cookie': ['a=1', 'b=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT'] };
    expect(matches('Header(`Set-Cookie`, `a=1`)', { headers })).toBe(true);
    expect(matches('Header(`Set-Cookie`, `b=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT`)', { headers })).toBe(true);
    expect(matches('Header(`Set-Cookie`, `c=3`)', { headers })).toBe(false);
  });

  it('accepts the whole joined value or any trimmed element of it', () => {
    const headers = { 'x-tag': 'a, b ,c' };
    expect(matches('Header(`X-Tag`, `a`)', { headers })).toBe(true);
    expect(matches('Header(`X-Tag`, `b`)', { headers })).toBe(true);
    expect(matches('Header(`X-Tag`, `c`)', { headers })).toBe(true);
    expect(matches('Header(`X-Tag`, `a, b ,c`)', { headers })).toBe(true);
    expect(matches('Header(`X-Tag`, `a, b`)', { headers })).toBe(false);
    expect(matches('Header(`X-Tag`, `d`)', { headers })).toBe(false);
    expect(matches('Header(`X-Tag`, ``)', { headers: { 'x-tag': 'a,,b' } })).toBe(true);
  });

  it('HeaderRegexp tests every value', () => {
    expect(matches('HeaderRegexp(`Content-Type`, `^application/(json|xml)`)', { headers: { 'content-type': 'application/json; charset=utf-8' } })).toBe(true);
    expect(matches('HeaderRegexp(`Content-Type`, `^application/json`)', { headers: { 'content-type': 'text/html' } })).toBe(false);
    expect(matches('HeaderRegexp(`X-Tag`, `^b$`)', { headers: { 'x-tag': 'a, b' } })).toBe(true);
    expect(matches('HeaderRegexp(`X-Tag`, `^c$`)', { headers: { 'x-tag': 'a, b' } })).toBe(false);
    expect(matches('HeaderRegexp(`Set-Cookie`, `^b=`)', { headers: { 'set-cookie': ['a=1', 'b=2'] } })).toBe(true);
    expect(matches('HeaderRegexp(`Set-Cookie`, `^c=`)', { headers: { 'set-cookie': ['a=1', 'b=2'] } })).toBe(false);
    expect(matches('HeaderRegexp(`X-Tag`, `.*`)', { headers: {} })).toBe(false);
    expect(matches('HeaderRegexp(`X-Tag`, `(?i)^ABC$`)', { headers: { 'x-tag': 'abc' } })).toBe(true);
  });
});

describe('Query', () => {
  it('Query(key) needs the key to be present, even with an empty value', () => {
    expect(matches('Query(`debug`)', { query: 'debug' })).toBe(true);
    expect(matches('Query(`debug`)', { query: 'a=1&debug=' })).toBe(true);
    expect(matches('Query(`debug`)', { query: 'debugging=1' })).toBe(false);
    expect(matches('Query(`debug`)', { query: '' })).toBe(false);
  });

  it('Query(key, value) needs some value of the key to equal value (decoded)', () => {
    expect(matches('Query(`v`, `2`)', { query: 'v=1&v=2' })).toBe(true);
    expect(matches('Query(`v`, `3`)', { query: 'v=1&v=2' })).toBe(false);
    expect(matches('Query(`q`, `a b/c`)', { query: 'q=a+b%2Fc' })).toBe(true);
    expect(matches('Query(`v`, ``)', { query: 'v=' })).toBe(true);
    expect(matches('Query(`v`, `1`)', { query: 'w=1' })).toBe(false);
  });

  it('QueryRegexp needs some value to match', () => {
    expect(matches('QueryRegexp(`id`, `^[0-9]+$`)', { query: 'id=x&id=12' })).toBe(true);
    expect(matches('QueryRegexp(`id`, `^[0-9]+$`)', { query: 'id=x' })).toBe(false);
    expect(matches('QueryRegexp(`id`, `.*`)', { query: 'other=1' })).toBe(false);
    expect(matches('QueryRegexp(`id`, `.*`)', { query: '' })).toBe(false);
  });
});

describe('Method', () => {
  it('compares case-insensitively and ORs values', () => {
    expect(matches('Method(`get`)', { method: 'GET' })).toBe(true);
    expect(matches('Method(`GET`)', { method: 'POST' })).toBe(false);
    expect(matches('Method(`GET`, `post`)', { method: 'POST' })).toBe(true);
    expect(matches('Method(`GET`, `post`)', { method: 'DELETE' })).toBe(false);
  });
});

describe('ClientIP', () => {
  it('matches plain IPv4 and IPv4 CIDRs', () => {
    expect(matches('ClientIP(`10.0.0.1`)', { clientIp: '10.0.0.1' })).toBe(true);
    expect(matches('ClientIP(`10.0.0.1`)', { clientIp: '10.0.0.2' })).toBe(false);
    expect(matches('ClientIP(`10.0.0.0/8`)', { clientIp: '10.255.1.2' })).toBe(true);
    expect(matches('ClientIP(`10.0.0.0/8`)', { clientIp: '11.0.0.1' })).toBe(false);
    expect(matches('ClientIP(`0.0.0.0/0`)', { clientIp: '203.0.113.9' })).toBe(true);
  });

  it('matches IPv6 addresses and CIDRs in any spelling', () => {
    expect(matches('ClientIP(`::1`)', { clientIp: '0:0:0:0:0:0:0:1' })).toBe(true);
    expect(matches('ClientIP(`2001:db8::/32`)', { clientIp: '2001:DB8:1::5' })).toBe(true);
    expect(matches('ClientIP(`2001:db8::/32`)', { clientIp: '2001:db9::5' })).toBe(false);
  });

  it('matches an IPv4-mapped IPv6 client against IPv4 rules', () => {
    expect(matches('ClientIP(`10.0.0.0/24`)', { clientIp: '::ffff:10.0.0.1' })).toBe(true);
    expect(matches('ClientIP(`10.0.0.1`)', { clientIp: '::ffff:10.0.0.1' })).toBe(true);
    expect(matches('ClientIP(`10.0.0.0/24`)', { clientIp: '::ffff:10.0.1.1' })).toBe(false);
  });

  it('ORs several entries and never matches an empty or garbage client IP', () => {
    const rule = 'ClientIP(`192.168.0.0/16`, `::1`)';
    expect(matches(rule, { clientIp: '192.168.3.4' })).toBe(true);
    expect(matches(rule, { clientIp: '::1' })).toBe(true);
    expect(matches(rule, { clientIp: '172.16.0.1' })).toBe(false);
    expect(matches(rule, { clientIp: '' })).toBe(false);
    expect(matches(rule, { clientIp: 'nonsense' })).toBe(false);
  });
});
