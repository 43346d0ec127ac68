import { describe, expect, it } from 'vitest';
import { hostsOf, parseRule } from '../../../src/rules/index.js';

const hosts = (rule: string): string[] | null => {
  const result = hostsOf(parseRule(rule));
  return result === null ? null : [...result].sort();
};

describe('hostsOf', () => {
  it('returns the lower-cased, port-stripped values of Host', () => {
    expect(hosts('Host(`Example.COM`)')).toEqual(['example.com']);
    expect(hosts('Host(`a.com:8080`, `B.com`, `a.com`)')).toEqual(['a.com', 'b.com']);
  });

  it('keeps wildcards as they are', () => {
    expect(hosts('Host(`*.Example.com`)')).toEqual(['*.example.com']);
  });

  it('gives both spellings of an IPv6 literal', () => {
    expect(hosts('Host(`[::1]:443`)')).toEqual(['::1', '[::1]']);
  });

  it('returns null for matchers that do not pin the host', () => {
    for (const rule of ['HostRegexp(`a`)', 'Path(`/`)', 'PathPrefix(`/`)', 'Header(`h`, `v`)', 'Method(`GET`)', 'ClientIP(`::1`)', 'Query(`a`)']) {
      expect(hosts(rule), rule).toBeNull();
    }
  });

  it('takes either constrained side of &&', () => {
    expect(hosts('Host(`a.com`) && Path(`/`)')).toEqual(['a.com']);
    expect(hosts('Path(`/`) && Host(`a.com`)')).toEqual(['a.com']);
    expect(hosts('Path(`/`) && Method(`GET`)')).toBeNull();
    expect(hosts('Host(`a.com`) && Host(`b.com`)')).toEqual(['a.com']);
  });

  it('unions || only when both sides constrain', () => {
    expect(hosts('Host(`a.com`) || Host(`b.com`, `a.com`)')).toEqual(['a.com', 'b.com']);
    expect(hosts('Host(`a.com`) || Path(`/`)')).toBeNull();
    expect(hosts('Path(`/`) || Host(`a.com`)')).toBeNull();
    expect(hosts('(Host(`a.com`) && Path(`/x`)) || (Path(`/y`) && Host(`b.com`))')).toEqual(['a.com', 'b.com']);
  });

  it('returns null under !', () => {
    expect(hosts('!Host(`a.com`)')).toBeNull();
    expect(hosts('!Host(`a.com`) && Path(`/`)')).toBeNull();
    expect(hosts('!Path(`/`) && Host(`a.com`)')).toEqual(['a.com']);
  });

  it('follows precedence: a || b && c', () => {
    expect(hosts('Host(`a.com`) || Host(`b.com`) && Path(`/`)')).toEqual(['a.com', 'b.com']);
    expect(hosts('Host(`a.com`) || Path(`/`) && Method(`GET`)')).toBeNull();
    expect(hosts('(Host(`a.com`) || Path(`/`)) && Host(`c.com`)')).toEqual(['c.com']);
  });
});
