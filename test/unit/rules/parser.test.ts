import { describe, expect, it } from 'vitest';
import { parseRule, type RuleAst } from '../../../src/rules/index.js';
import { parseError } from './helpers.js';

/** Compact rendering of an AST so precedence is easy to assert. */
function show(ast: RuleAst): string {
  switch (ast.type) {
    case 'matcher':
      return `${ast.name}(${ast.args.join(',')})`;
    case 'and':
      return `(${show(ast.left)} && ${show(ast.right)})`;
    case 'or':
      return `(${show(ast.left)} || ${show(ast.right)})`;
    case 'not':
      return `!${show(ast.operand)}`;
  }
}

describe('parseRule: structure', () => {
  it('parses a single matcher with its column', () => {
    expect(parseRule('  Host(`example.com`)')).toEqual({
      type: 'matcher',
      name: 'Host',
      args: ['example.com'],
      column: 3,
    });
  });

  it('stores the canonical name whatever the case', () => {
    expect(show(parseRule('host(`a`) && PATHPREFIX(`/x`) && headerregexp(`X`, `y`) && clientip(`::1`)'))).toBe(
      '(((Host(a) && PathPrefix(/x)) && HeaderRegexp(X,y)) && ClientIP(::1))',
    );
  });

  it('binds && tighter than ||', () => {
    expect(show(parseRule('Path(`/a`) || Path(`/b`) && Path(`/c`)'))).toBe('(Path(/a) || (Path(/b) && Path(/c)))');
    expect(show(parseRule('Path(`/a`) && Path(`/b`) || Path(`/c`)'))).toBe('((Path(/a) && Path(/b)) || Path(/c))');
  });

  it('binds ! tightest', () => {
    expect(show(parseRule('!Path(`/a`) && Path(`/b`)'))).toBe('(!Path(/a) && Path(/b))');
    expect(show(parseRule('!!Path(`/a`)'))).toBe('!!Path(/a)');
  });

  it('lets parentheses override precedence', () => {
    expect(show(parseRule('(Path(`/a`) || Path(`/b`)) && Path(`/c`)'))).toBe('((Path(/a) || Path(/b)) && Path(/c))');
    expect(show(parseRule('!(Path(`/a`) || Path(`/b`))'))).toBe('!(Path(/a) || Path(/b))');
  });

  it('is left-associative', () => {
    expect(show(parseRule('Path(`/a`) || Path(`/b`) || Path(`/c`)'))).toBe('((Path(/a) || Path(/b)) || Path(/c))');
  });

  it('accepts whitespace anywhere between tokens, and none at all', () => {
    expect(show(parseRule('\n\t( Host ( `a` , `b` ) ||Path(`/`) )&&!Method(`GET`)  '))).toBe(
      '((Host(a,b) || Path(/)) && !Method(GET))',
    );
  });

  it('reads backtick strings raw and double-quoted strings with \\" and \\\\ escapes', () => {
    expect(parseRule('PathRegexp(`^/a\\.b"c$`)')).toMatchObject({ args: ['^/a\\.b"c$'] });
    expect(parseRule('Header("X-A", "say \\"hi\\" \\\\ o/")')).toMatchObject({ args: ['X-A', 'say "hi" \\ o/'] });
    expect(parseRule('Header("X-A", "a`b")')).toMatchObject({ args: ['X-A', 'a`b'] });
    expect(parseRule('Header(`X-A`, ``)')).toMatchObject({ args: ['X-A', ''] });
  });

  it('keeps several values of a multi-value matcher in order', () => {
    expect(parseRule('Method(`GET`, "post", `Put`)')).toMatchObject({ name: 'Method', args: ['GET', 'post', 'Put'] });
  });
});

describe('parseRule: errors', () => {
  const cases: Array<[rule: string, column: number, fragment: string]> = [
    ['', 1, 'empty rule'],
    ['   \t', 1, 'empty rule'],
    ['Path(`/`) && Hots(`a`)', 14, 'unknown matcher "Hots"; expected one of Host, HostRegexp, Path,'],
    ['Hots(`a`)', 1, '(did you mean Host?)'],
    ['Headers(`a`, `b`)', 1, '(did you mean Header?)'],
    ['PathPrefix(`/a`', 16, 'expected ")" after arguments of PathPrefix'],
    ['PathPrefix(`/a` `/b`)', 17, 'expected ")" after arguments of PathPrefix, got string "/b"'],
    ['Host(`a.com`) && Path(`/a`) & Path(`/b`)', 29, 'unexpected "&" (did you mean "&&"?)'],
    ['Host(`a`) | Path(`/`)', 11, 'unexpected "|" (did you mean "||"?)'],
    ['Host(`a`) Path(`/`)', 11, 'expected "&&" or "||" before Path'],
    ['Host(`a`))', 10, 'unexpected ")" without a matching "("'],
    ['(Host(`a`)', 11, 'expected ")" to close "(" at column 1'],
    ['Host(`a`) &&', 13, 'after "&&", got end of rule'],
    ['&& Host(`a`)', 1, 'expected a matcher'],
    ['!', 2, 'got end of rule'],
    ['()', 2, 'got ")"'],
    ['Host', 5, 'expected "(" after Host'],
    ['Host `a`', 6, 'expected "(" after Host'],
    ['Host(a.com)', 6, 'must be quoted with backticks or double quotes'],
    ['Path(/api)', 6, 'must be quoted'],
    ['Path(`/a`,)', 11, 'expected a quoted argument after "," in Path'],
    ["Host('a')", 6, 'quote arguments with backticks or double quotes'],
    ['Host(`a`) # x', 11, 'unexpected "#"'],
    ['Host(`a)', 6, 'unterminated string'],
    ['Host("a)', 6, 'unterminated string'],
    ['Host("a\\d")', 8, 'unsupported escape "\\d"'],
    ['Header(`X`)', 1, 'Header needs 2 arguments (name, value), got 1'],
    ['Host(`a`) && HeaderRegexp(`X`, `a`, `b`)', 14, 'HeaderRegexp needs 2 arguments (name, regexp), got 3'],
    ['Query()', 1, 'Query needs 1 or 2 arguments'],
    ['Query(`a`, `b`, `c`)', 1, 'got 3'],
    ['QueryRegexp(`a`)', 1, 'QueryRegexp needs 2 arguments'],
    ['HostRegexp(`a`, `b`)', 1, 'HostRegexp needs 1 argument (regexp), got 2'],
    ['PathRegexp()', 1, 'PathRegexp needs 1 argument'],
    ['Host()', 1, 'Host needs at least 1 argument'],
    ['Method()', 1, 'Method needs at least 1 argument'],
    ['PathRegexp(`^/(a`)', 12, 'invalid regexp "^/(a"'],
    ['Path(`/`) || HostRegexp(`[a-`)', 25, 'HostRegexp: invalid regexp'],
    ['HeaderRegexp(`X`, `(`)', 19, 'invalid regexp'],
    ['QueryRegexp(`k`, `*`)', 18, 'invalid regexp'],
    ['HostRegexp(`{sub:[a-z]+}.example.com`)', 12, 'Traefik v2 placeholder'],
    ['PathRegexp(`(?U)a+`)', 12, 'inline flag "U"'],
    ['ClientIP(`10.0.0.1`, `10.0.0.300`)', 22, 'invalid IP address or CIDR "10.0.0.300"'],
    ['ClientIP(`10.0.0.0/33`)', 10, 'prefix length must be 0-32'],
    ['ClientIP(`::1/129`)', 10, 'prefix length must be 0-128'],
    ['ClientIP(`10.0.0.0/`)', 10, 'invalid CIDR'],
    ['ClientIP(`example.com`)', 10, 'invalid IP address or CIDR'],
    ['Path(`a`)', 6, 'path "a" must start with "/"'],
    ['PathPrefix(`/a`, `b`)', 18, 'must start with "/"'],
    ['Host(``)', 6, 'host must not be empty'],
    ['Host(`a.*.com`)', 6, 'wildcard'],
    ['Header(`Bad Name`, `v`)', 8, 'invalid header name'],
    ['Method(`GE T`)', 8, 'invalid method'],
    ['Query(``)', 7, 'query parameter name must not be empty'],
  ];

  it.each(cases)('%s → column %i', (rule, column, fragment) => {
    const err = parseError(rule);
    expect(err.column).toBe(column);
    expect(err.reason).toContain(fragment);
    expect(err.message).toContain(`column ${column}: `);
    expect(err.rule).toBe(rule);
  });

  it('reports a lexical error anywhere in the rule before a parse error earlier in it', () => {
    // The rule is read token by token, but a user is told about the bad character first, as
    // when the whole rule was tokenized before parsing.
    expect(parseError('Host(a.com) && Path(`/x').reason).toContain('unterminated string');
    expect(parseError('Hots(`a`) && Path(`/x`) # c').reason).toContain('unexpected "#"');
    expect(parseError('Path(`x`) || Host(`a`) & Path(`/`)').column).toBe(24);
  });

  it('does not suggest anything for a name far from every matcher', () => {
    expect(parseError('Bogus(`a`)').reason).not.toContain('did you mean');
  });
});
