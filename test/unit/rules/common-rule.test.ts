import { describe, expect, it } from 'vitest';
import { compileCommonRule } from '../../../src/rules/common-rule.js';
import { compiledRule, compileRuleText, hostsOf, parseRule, RuleError } from '../../../src/rules/index.js';
import { makeRequest } from './helpers.js';

// The common rule shapes are read without the parser (common-rule.ts); what they give must be
// what the parser's path gives: the same hosts, and a rest that matches the same requests.

const PATHS = ['/', '/api', '/api/', '/api/x', '/apix', '/a b', '/v6/x', '/w', '/x/y', '/API'];

/** The parser's view of `rule`: its hosts and its whole matcher. */
function general(rule: string) {
  const ast = parseRule(rule);
  return { hosts: hostsOf(ast), whole: compileRuleText(rule) };
}

describe('common rules read without the parser', () => {
  const accepted = [
    'Host(`a.example.com`)',
    'Host(`A.Example.COM`)',
    'Host(`h:8080`)',
    'Host(`[::1]:8080`) && PathPrefix(`/v6`)',
    'Host(`*.example.com`) && PathPrefix(`/w`)',
    'Host("x.com") && PathPrefix("/api")',
    'Host(`x.com`)&&PathPrefix(`/`)',
    'Host(`x.com`)   &&   PathPrefix(`/a b`)',
    'Host(`x.com`) && PathPrefix("/api")',
    'Host("we`ird.com") && PathPrefix(`/x"y`)',
  ];

  it.each(accepted)('%s: the same hosts, and a rest that matches as the whole rule does on those hosts', (rule) => {
    const fast = compileCommonRule(rule);
    expect(fast).toBeDefined();
    const { hosts, whole } = general(rule);
    expect(fast!.hosts).toEqual(hosts);
    for (const host of hosts!) {
      const sample = host.startsWith('*.') ? `sub${host.slice(1)}` : host;
      for (const path of PATHS) {
        const req = makeRequest({ host: sample, path });
        expect(fast!.rest ? fast!.rest(req) : true, `${sample}${path}`).toBe(whole(req));
      }
    }
    // compiledRule (the cache validation and the table build share) gives the same.
    const cached = compiledRule(rule);
    expect(cached.hosts).toEqual(fast!.hosts);
    expect(cached.rest).toBe(fast!.rest); // one shared matcher per prefix, or null
  });

  const others = [
    'host(`a.com`)', // the parser accepts any case of a matcher name
    'Host(`a.com`, `b.com`)',
    'Host( `a.com` )',
    'Host(`a.com`)\t&& PathPrefix(`/x`)',
    'Host(`a.com`) && PathPrefix(`/a`, `/b`)',
    'Host(`a.com`) || PathPrefix(`/a`)',
    'Host(`a.com`) && PathPrefix(`/a`) && Method(`GET`)',
    'Host(`a.com`) && PathPrefix(`/a`) ',
    'Host(`a.com`) && Path(`/a`)',
    'PathPrefix(`/a`) && Host(`a.com`)',
    'Host("a\\"b.com")',
    '(Host(`a.com`))',
  ];

  it.each(others)('%s: left to the parser, which accepts it', (rule) => {
    expect(compileCommonRule(rule)).toBeUndefined();
    expect(() => compiledRule(rule)).not.toThrow();
  });

  const errors: Array<[string, RegExp]> = [
    ['Host(``)', /host must not be empty/],
    ['Host(`*a.com`) && PathPrefix(`/a`)', /wildcard/],
    ['Host(`a.com`) && PathPrefix(`nope`)', /must start with "\/"/],
    ['Host(`a.com`) && PathPrefix(`/a`', /expected "\)"/],
    ['Host(`a.com) && PathPrefix(`/a`)', /./],
    ['Host(`a.com`) &&', /expected a matcher/],
  ];

  it.each(errors)('%s: left to the parser, whose error (with its column) is the one thrown', (rule, message) => {
    expect(compileCommonRule(rule)).toBeUndefined();
    let thrown: unknown;
    try {
      compiledRule(rule);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(RuleError);
    expect((thrown as RuleError).reason).toMatch(message);
    expect(() => parseRule(rule)).toThrow((thrown as RuleError).message);
  });
});
