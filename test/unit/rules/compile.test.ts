import { describe, expect, it } from 'vitest';
import { compiledRule, compileRule, compileRuleText, hostsOf, parseRule, RuleError, type RuleAst } from '../../../src/rules/index.js';
import { HostIndex } from '../../../src/runtime/host-index.js';
import { makeRequest, matches } from './helpers.js';

describe('compiled operators', () => {
  const host = 'Host(`a.com`)';

  it('&& needs both sides', () => {
    const rule = `${host} && PathPrefix(\`/api\`)`;
    expect(matches(rule, { host: 'a.com', path: '/api/x' })).toBe(true);
    expect(matches(rule, { host: 'a.com', path: '/web' })).toBe(false);
    expect(matches(rule, { host: 'b.com', path: '/api' })).toBe(false);
  });

  it('|| needs either side', () => {
    const rule = `${host} || PathPrefix(\`/api\`)`;
    expect(matches(rule, { host: 'b.com', path: '/api' })).toBe(true);
    expect(matches(rule, { host: 'a.com', path: '/web' })).toBe(true);
    expect(matches(rule, { host: 'b.com', path: '/web' })).toBe(false);
  });

  it('! negates', () => {
    expect(matches(`!${host}`, { host: 'a.com' })).toBe(false);
    expect(matches(`!${host}`, { host: 'b.com' })).toBe(true);
    expect(matches(`!!${host}`, { host: 'a.com' })).toBe(true);
  });

  it('evaluates a || b && c as a || (b && c)', () => {
    const rule = 'Path(`/a`) || Method(`POST`) && Host(`c.com`)';
    // Under (a || b) && c this request would fail because the host is not c.com.
    expect(matches(rule, { path: '/a', method: 'GET', host: 'x.com' })).toBe(true);
    expect(matches(rule, { path: '/x', method: 'POST', host: 'x.com' })).toBe(false);
    expect(matches(rule, { path: '/x', method: 'POST', host: 'c.com' })).toBe(true);
  });

  it('evaluates !a && b as (!a) && b', () => {
    const rule = '!Path(`/a`) && Method(`POST`)';
    // Under !(a && b) this request would match.
    expect(matches(rule, { path: '/x', method: 'GET' })).toBe(false);
    expect(matches(rule, { path: '/x', method: 'POST' })).toBe(true);
    expect(matches(rule, { path: '/a', method: 'POST' })).toBe(false);
  });

  it('honours parentheses', () => {
    const rule = '(Path(`/a`) || Method(`POST`)) && Host(`c.com`)';
    expect(matches(rule, { path: '/a', method: 'GET', host: 'x.com' })).toBe(false);
    expect(matches(rule, { path: '/a', method: 'GET', host: 'c.com' })).toBe(true);
    expect(matches('!(Path(`/a`) || Path(`/b`))', { path: '/b' })).toBe(false);
    expect(matches('!(Path(`/a`) || Path(`/b`))', { path: '/c' })).toBe(true);
  });

  it('returns a reusable matcher', () => {
    const m = compileRuleText('Host(`a.com`) && !Header(`X-Block`, `1`)');
    expect(m(makeRequest({ host: 'a.com' }))).toBe(true);
    expect(m(makeRequest({ host: 'a.com', headers: { 'x-block': '1' } }))).toBe(false);
    expect(m(makeRequest({ host: 'a.com' }))).toBe(true);
  });
});

describe('compileRule', () => {
  it('compiles a parsed AST', () => {
    const m = compileRule(parseRule('Method(`GET`)'));
    expect(m(makeRequest({ method: 'GET' }))).toBe(true);
    expect(m(makeRequest({ method: 'PUT' }))).toBe(false);
  });

  it('re-validates hand-built ASTs', () => {
    const badRegexp: RuleAst = { type: 'matcher', name: 'PathRegexp', args: ['('], column: 1 };
    const badArity: RuleAst = { type: 'matcher', name: 'Header', args: ['x'], column: 1 };
    const badIp: RuleAst = { type: 'not', operand: { type: 'matcher', name: 'ClientIP', args: ['1.2.3'], column: 1 } };
    expect(() => compileRule(badRegexp)).toThrow(RuleError);
    expect(() => compileRule(badRegexp)).toThrow(/invalid regexp/);
    expect(() => compileRule(badArity)).toThrow(/Header needs 2 arguments/);
    expect(() => compileRule(badIp)).toThrow(/invalid IP address or CIDR "1\.2\.3"/);
  });

  it('compileRuleText reports parse errors as RuleError', () => {
    expect(() => compileRuleText('Host(`a`) &')).toThrow(RuleError);
  });
});

describe('compiledRule (hosts for the host index, and the rest of the rule)', () => {
  const rules = [
    'Host(`a.example`)',
    'Host(`A.Example:8080`, `b.example`)',
    'Host(`*.example.com`) && !PathPrefix(`/admin`)',
    '(Host(`a.example`) || Host(`b.example`)) && (Path(`/x`) || Method(`POST`))',
    '!Header(`X-A`, `1`) || Query(`q`, `v`) && ClientIP(`10.0.0.0/8`)',
    'HostRegexp(`^[a-z]+\\.example$`) && PathRegexp(`^/v[0-9]+/`)',
    'Host(`[::1]:443`, `a.example`, `A.example`) || Host(`b.example`) && Path(`/x`)',
    'Path(`/x`) && Host(`b.example`) && Host(`a.example`)',
    'Host(`a.example`) && Host(`b.example`)',
    'Path(`/x`) && Host(`a.example`) && Method(`POST`)',
    '!Host(`a.example`) && Host(`b.example`)',
    'Host(`a.example`) || PathPrefix(`/x`)',
    'Host(`a.example`) && PathPrefix(`/x`)',
  ];
  const requests = [
    { host: 'a.example' },
    { host: 'b.example', path: '/x' },
    { host: 'a.example', path: '/x', method: 'POST' },
    { host: 'c.example.com', path: '/admin/x' },
    { host: 'c.example.com', path: '/api', method: 'POST' },
    { host: 'c.d.example.com', path: '/api' },
    { host: 'example.com', path: '/api' },
    { host: '::1', path: '/x' },
    { host: '[::1]', path: '/x' },
    { host: 'zz.example', path: '/v2/', headers: { 'x-a': '1' }, query: 'q=v', clientIp: '10.1.2.3' },
    { host: 'a.example', path: '/x', headers: { 'x-a': '2' }, clientIp: '192.0.2.1' },
  ];

  it('matches, through a host index, exactly what compileRule(parseRule(rule)) matches', () => {
    for (const rule of rules) {
      const whole = compileRule(parseRule(rule));
      const cached = compiledRule(rule);
      expect(cached.hosts, rule).toEqual(hostsOf(parseRule(rule)));
      // As a routing table uses it: filed under its hosts, `rest` checked for what the index finds.
      const index = new HostIndex<{ order: number }>();
      index.add({ order: 0 }, cached.hosts);
      for (const init of requests) {
        const req = makeRequest(init);
        const found = index.find(req.host, () => cached.rest === null || cached.rest(req), undefined) !== undefined;
        expect(found, `${rule} on ${JSON.stringify(init)}`).toBe(whole(req));
      }
    }
  });

  it('leaves nothing to check for a plain Host(), and one matcher for Host() && PathPrefix()', () => {
    expect(compiledRule('Host(`plain.example`)').rest).toBeNull();
    const rest = compiledRule('Host(`plain.example`) && PathPrefix(`/api`)').rest!;
    // The host is the index's job: the rest looks at the path only.
    expect(rest(makeRequest({ host: 'elsewhere.example', path: '/api/x' }))).toBe(true);
    expect(rest(makeRequest({ host: 'plain.example', path: '/web' }))).toBe(false);
  });

  it('shares one matcher among routers with the same single PathPrefix(), and keeps different ones apart', () => {
    const api = compiledRule('Host(`one.example`) && PathPrefix(`/api`)').rest!;
    expect(compiledRule('Host(`two.example`) && PathPrefix(`/api`)').rest).toBe(api);
    const web = compiledRule('Host(`one.example`) && PathPrefix(`/web`)').rest!;
    expect(web).not.toBe(api);
    expect(web(makeRequest({ path: '/web/x' }))).toBe(true);
    expect(web(makeRequest({ path: '/api/x' }))).toBe(false);
    expect(api(makeRequest({ path: '/api/x' }))).toBe(true);
    // Past the bound the shared set starts again: old matchers keep working, new ones are right.
    for (let i = 0; i < 1100; i++) expect(compiledRule(`Host(\`h${i}.example\`) && PathPrefix(\`/p${i}\`)`).rest!(makeRequest({ path: `/p${i}/x` }))).toBe(true);
    expect(api(makeRequest({ path: '/api' }))).toBe(true);
    expect(compiledRule('Host(`three.example`) && PathPrefix(`/api`)').rest!(makeRequest({ path: '/web' }))).toBe(false);
  });

  it('rejects a bad rule with the error parseRule gives', () => {
    for (const rule of ['Host(`a`) &&', 'Host(a.com) && Path(`/x', 'Host(`a.*.com`)', 'PathPrefix(`/a`, `b`)', 'Header(`X`)', '(Host(`a`)']) {
      let expected: unknown;
      try {
        parseRule(rule);
      } catch (err) {
        expected = err;
      }
      expect(expected, rule).toBeInstanceOf(RuleError);
      expect(() => compiledRule(rule), rule).toThrow((expected as RuleError).message);
    }
  });
});
