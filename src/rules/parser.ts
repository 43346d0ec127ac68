import { tokenize, type Token } from './lexer.js';
import { arityError, MATCHER_NAMES, MATCHERS, MatcherArgError } from './matchers.js';
import { closest } from './suggest.js';
import { RuleError, type MatcherName, type RuleAst, type RuleMatcher } from './types.js';

const CANONICAL = new Map(MATCHER_NAMES.map((n) => [n.toLowerCase(), n]));

function describe(tok: Token): string {
  switch (tok.kind) {
    case 'eof':
      return 'end of rule';
    case 'ident':
      return tok.value;
    case 'string':
      return `string ${JSON.stringify(tok.value)}`;
    default:
      return `"${tok.kind}"`;
  }
}

/**
 * Parses a Traefik rule. Grammar (lowest precedence first):
 *   or    := and ('||' and)*
 *   and   := unary ('&&' unary)*
 *   unary := '!' unary | '(' or ')' | Name '(' string (',' string)* ')'
 * Matcher arguments are fully validated here so that config validation reports every bad rule.
 */
export function parseRule(rule: string): RuleAst {
  return parseRuleBuilding(rule, undefined);
}

/**
 * parseRule that also hands back the matcher closures it built to validate the arguments, in
 * the order their matchers appear in the text (= compileRule's left-to-right walk), so that
 * compiling the AST does not build them a second time.
 */
export function parseRuleBuilding(rule: string, built: RuleMatcher[] | undefined): RuleAst {
  const tokens = tokenize(rule);
  let pos = 0;
  const peek = (): Token => tokens[pos]!;
  const next = (): Token => tokens[pos++]!;
  const fail = (column: number, reason: string): never => {
    throw new RuleError(rule, column, reason);
  };

  function parseOr(): RuleAst {
    let left = parseAnd();
    while (peek().kind === '||') {
      next();
      left = { type: 'or', left, right: parseAnd() };
    }
    return left;
  }

  function parseAnd(): RuleAst {
    let left = parseUnary();
    while (peek().kind === '&&') {
      next();
      left = { type: 'and', left, right: parseUnary() };
    }
    return left;
  }

  function parseUnary(): RuleAst {
    const tok = next();
    if (tok.kind === '!') return { type: 'not', operand: parseUnary() };
    if (tok.kind === '(') {
      const inner = parseOr();
      const close = next();
      if (close.kind !== ')') {
        fail(close.column, `expected ")" to close "(" at column ${tok.column}, got ${describe(close)}`);
      }
      return inner;
    }
    if (tok.kind === 'ident') return parseMatcher(tok);
    const prev = tokens[pos - 2];
    const after = prev ? ` after ${describe(prev)}` : '';
    return fail(tok.column, `expected a matcher such as Host(\`example.com\`), "!" or "("${after}, got ${describe(tok)}`);
  }

  function parseMatcher(nameTok: Token): RuleAst {
    const name = CANONICAL.get(nameTok.value.toLowerCase());
    if (name === undefined) {
      const hint = closest(nameTok.value, MATCHER_NAMES);
      fail(
        nameTok.column,
        `unknown matcher ${JSON.stringify(nameTok.value)}; expected one of ${MATCHER_NAMES.join(', ')}` +
          (hint ? ` (did you mean ${hint}?)` : ''),
      );
    }
    const canonical = name as MatcherName;

    const open = next();
    if (open.kind !== '(') fail(open.column, `expected "(" after ${canonical}, got ${describe(open)}`);

    const args: string[] = [];
    const columns: number[] = [];
    if (peek().kind !== ')') {
      for (;;) {
        const arg = next();
        if (arg.kind !== 'string') {
          const where = args.length === 0 ? `for ${canonical}` : `after "," in ${canonical}`;
          const quoteHint = arg.kind === 'ident' ? ' (arguments must be quoted with backticks or double quotes)' : '';
          fail(arg.column, `expected a quoted argument ${where}, got ${describe(arg)}${quoteHint}`);
        }
        args.push(arg.value);
        columns.push(arg.column);
        if (peek().kind !== ',') break;
        next();
      }
    }
    const close = next();
    if (close.kind !== ')') {
      fail(close.column, `expected ")" after arguments of ${canonical}, got ${describe(close)}`);
    }

    const arity = arityError(canonical, args.length);
    if (arity !== undefined) fail(nameTok.column, arity);
    try {
      const matcher = MATCHERS[canonical].build(args);
      built?.push(matcher);
    } catch (err) {
      if (!(err instanceof MatcherArgError)) throw err;
      fail(columns[err.argIndex] ?? nameTok.column, `${canonical}: ${err.message}`);
    }
    return { type: 'matcher', name: canonical, args, column: nameTok.column };
  }

  if (peek().kind === 'eof') fail(1, 'empty rule');
  const ast = parseOr();
  const rest = peek();
  if (rest.kind !== 'eof') {
    if (rest.kind === ')') fail(rest.column, 'unexpected ")" without a matching "("');
    fail(rest.column, `expected "&&" or "||" before ${describe(rest)}`);
  }
  return ast;
}
