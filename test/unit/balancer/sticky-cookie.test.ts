import { describe, expect, it } from 'vitest';
import { StickyCookie, type StickyCookieOptions } from '../../../src/balancer/sticky-cookie.js';
import { makeServers } from './helpers.js';

const base: StickyCookieOptions = {
  name: 'sy_app',
  httpOnly: true,
  secure: false,
  sameSite: 'lax',
  maxAge: 0,
  path: '/',
};

describe('StickyCookie', () => {
  const servers = makeServers({ a: 1, b: 1, c: 0 });
  const [a, b, c] = servers as [(typeof servers)[0], (typeof servers)[0], (typeof servers)[0]];
  const sticky = new StickyCookie(servers, base);

  it('values are opaque, stable and distinct', () => {
    const v = sticky.valueFor(a);
    expect(v).toMatch(/^[0-9a-f]{16}$/);
    expect(v).not.toContain('a:80');
    expect(new StickyCookie(makeServers({ a: 1 }), base).valueFor(a)).toBe(v);
    expect(sticky.valueFor(b)).not.toBe(v);
  });

  it('finds the server among other cookies', () => {
    const v = sticky.valueFor(b);
    expect(sticky.serverFor(`sy_app=${v}`)).toBe(b);
    expect(sticky.serverFor(`a=1; sy_app=${v}; b=2`)).toBe(b);
    expect(sticky.serverFor(`a=1;sy_app=${v}`)).toBe(b);
    expect(sticky.serverFor(`a=1;  sy_app="${v}"  ;b=2`)).toBe(b);
  });

  it('ignores a cookie whose name ends with the sticky name', () => {
    const v = sticky.valueFor(a);
    expect(sticky.serverFor(`xsy_app=${v}`)).toBeUndefined();
    expect(sticky.serverFor(`xsy_app=${v}; sy_app=${sticky.valueFor(b)}`)).toBe(b);
    expect(sticky.serverFor(`q=sy_app=${v}`)).toBeUndefined();
  });

  it('returns undefined for a missing header, missing cookie or unknown value', () => {
    expect(sticky.serverFor(undefined)).toBeUndefined();
    expect(sticky.serverFor('')).toBeUndefined();
    expect(sticky.serverFor('a=1; b=2')).toBeUndefined();
    expect(sticky.serverFor('sy_app=0123456789abcdef')).toBeUndefined();
    expect(sticky.serverFor('sy_app=')).toBeUndefined();
    expect(sticky.serverFor('sy_app=http://a:80')).toBeUndefined();
  });

  it('returns undefined when the server left the pool', () => {
    const v = sticky.valueFor(b);
    const smaller = new StickyCookie(servers.filter((s) => s !== b), base);
    expect(smaller.serverFor(`sy_app=${v}`)).toBeUndefined();
  });

  it('returns undefined for a draining server but keeps weight-0 servers', () => {
    expect(sticky.serverFor(`sy_app=${sticky.valueFor(c)}`)).toBe(c);
    const pool = makeServers({ x: 1, y: 1 });
    const s = new StickyCookie(pool, base);
    const v = s.valueFor(pool[0]!);
    pool[0]!.state.draining = true;
    expect(s.serverFor(`sy_app=${v}`)).toBeUndefined();
  });

  it('takes the first duplicate cookie that names a usable server', () => {
    expect(sticky.serverFor(`sy_app=0123456789abcdef; sy_app=${sticky.valueFor(a)}`)).toBe(a);
  });

  it('renders Set-Cookie attributes', () => {
    const v = sticky.valueFor(a);
    expect(sticky.setCookieHeader(a)).toBe(`sy_app=${v}; Path=/; HttpOnly; SameSite=Lax`);
    const full = new StickyCookie(servers, {
      name: 'sid',
      httpOnly: false,
      secure: true,
      sameSite: 'strict',
      maxAge: 3600,
      path: '/app',
      domain: 'example.com',
    });
    expect(full.setCookieHeader(a)).toBe(`sid=${v}; Path=/app; Domain=example.com; Max-Age=3600; Secure; SameSite=Strict`);
  });

  it('SameSite=None forces Secure; no SameSite when empty; negative Max-Age expires', () => {
    const v = sticky.valueFor(a);
    const none = new StickyCookie(servers, { ...base, sameSite: 'none' });
    expect(none.setCookieHeader(a)).toBe(`sy_app=${v}; Path=/; Secure; HttpOnly; SameSite=None`);
    const plain = new StickyCookie(servers, { ...base, sameSite: '', httpOnly: false, path: '', maxAge: -1 });
    expect(plain.setCookieHeader(a)).toBe(`sy_app=${v}; Path=/; Max-Age=0`);
  });
});
