import { Lexer, type TokenKind } from './lexer.js';
import { arityError, MATCHER_NAMES, MATCHERS, MatcherArgError } from './matchers.js';
import { closest } from './suggest.js';
import { RuleError, type MatcherName, type RuleAst } from './types.js';

/**
 * What the parser makes of each construct it reads. The AST builder gives parseRule's tree;
 * rule-cache.ts's builder makes the matcher closures and host list straight away, so compiling
 * a rule for a routing table allocates no tree at all.
 */
export interface RuleBuilder<N> {
  /**
   * A matcher with its arguments (arity already checked). Throws MatcherArgError for a bad
   * argument, which the parser reports at that argument's column.
   */
  matcher(name: MatcherName, args: string[], column: number): N;
  and(left: N, right: N): N;
  or(left: N, right: N): N;
  not(operand: N): N;
}

const CANONICAL = new Map(MATCHER_NAMES.map((n) => [n.toLowerCase(), n]));

/** Builds parseRule's tree; the arguments are fully validated on the way (by building their matchers). */
const astBuilder: RuleBuilder<RuleAst> = {
  matcher(name, args, column) {
    MATCHERS[name].build(args);
    return { type: 'matcher', name, args, column };
  },
  and: (left, right) => ({ type: 'and', left, right }),
  or: (left, right) => ({ type: 'or', left, right }),
  not: (operand) => ({ type: 'not', operand }),
};

/**
 * Parses a Traefik rule. Grammar (lowest precedence first):
 *   or    := and ('||' and)*
 *   and   := unary ('&&' unary)*
 *   unary := '!' unary | '(' or ')' | Name '(' string (',' string)* ')'
 * Matcher arguments are fully validated here so that config validation reports every bad rule.
 */
export function parseRule(rule: string): RuleAst {
  return parseRuleWith(rule, astBuilder);
}

/** Parses `rule` into whatever `builder` makes of it; errors are parseRule's, at the same columns. */
export function parseRuleWith<N>(rule: string, builder: RuleBuilder<N>): N {
  return new Parser(new Lexer(rule), builder).rule();
}

/**
 * The arguments of the matcher being read and their columns: arrays shared by every parse (a
 * parse runs to the end without starting another), filled from index 0 and never emptied
 * (`length = 0` frees the backing store, and the next push allocates 17 slots again). A
 * matcher gets an exact-size copy of the values.
 */
const argValues: string[] = [];
const argColumns: number[] = [];

class Parser<N> {
  constructor(
    private readonly lx: Lexer,
    private readonly builder: RuleBuilder<N>,
  ) {}

  rule(): N {
    if (this.lx.peek() === 'eof') this.fail(1, 'empty rule');
    const node = this.or();
    const lx = this.lx;
    if (lx.peek() !== 'eof') {
      if (lx.peek() === ')') this.fail(lx.column, 'unexpected ")" without a matching "("');
      this.fail(lx.column, `expected "&&" or "||" before ${this.describeCurrent()}`);
    }
    return node;
  }

  private or(): N {
    let left = this.and();
    while (this.lx.peek() === '||') {
      this.lx.advance();
      left = this.builder.or(left, this.and());
    }
    return left;
  }

  private and(): N {
    let left = this.unary();
    while (this.lx.peek() === '&&') {
      this.lx.advance();
      left = this.builder.and(left, this.unary());
    }
    return left;
  }

  private unary(): N {
    const lx = this.lx;
    if (lx.peek() === 'ident') return this.matcher();
    if (lx.peek() === '!') {
      lx.advance();
      return this.builder.not(this.unary());
    }
    if (lx.peek() === '(') {
      const column = lx.column;
      lx.advance();
      const inner = this.or();
      if (lx.peek() !== ')') {
        this.fail(lx.column, `expected ")" to close "(" at column ${column}, got ${this.describeCurrent()}`);
      }
      lx.advance();
      return inner;
    }
    const after = lx.prevKind === undefined ? '' : ` after ${describe(lx.prevKind, lx.prevValue)}`;
    return this.fail(lx.column, `expected a matcher such as Host(\`example.com\`), "!" or "("${after}, got ${this.describeCurrent()}`);
  }

  private matcher(): N {
    const lx = this.lx;
    const column = lx.column;
    const canonical = this.matcherName();
    lx.advance();
    if (lx.peek() !== '(') this.fail(lx.column, `expected "(" after ${canonical}, got ${this.describeCurrent()}`);
    lx.advance();

    let count = 0;
    if (lx.peek() !== ')') {
      for (;;) {
        if (lx.peek() !== 'string') {
          const where = count === 0 ? `for ${canonical}` : `after "," in ${canonical}`;
          const quoteHint = lx.peek() === 'ident' ? ' (arguments must be quoted with backticks or double quotes)' : '';
          this.fail(lx.column, `expected a quoted argument ${where}, got ${this.describeCurrent()}${quoteHint}`);
        }
        argValues[count] = lx.value;
        argColumns[count] = lx.column;
        count++;
        lx.advance();
        if (lx.peek() !== ',') break;
        lx.advance();
      }
    }
    if (lx.peek() !== ')') {
      this.fail(lx.column, `expected ")" after arguments of ${canonical}, got ${this.describeCurrent()}`);
    }

    const arity = arityError(canonical, count);
    if (arity !== undefined) this.fail(column, arity);
    const args = argValues.slice(0, count);
    let node: N;
    try {
      node = this.builder.matcher(canonical, args, column);
    } catch (err) {
      if (!(err instanceof MatcherArgError)) throw err;
      this.fail(argColumns[err.argIndex] ?? column, `${canonical}: ${err.message}`);
    }
    // Past the ")" only now: the argument columns are read above, before the next matcher reuses them.
    lx.advance();
    return node;
  }

  /** The current identifier as a matcher's canonical name (matched in place when spelled exactly). */
  private matcherName(): MatcherName {
    const lx = this.lx;
    for (const name of MATCHER_NAMES) if (lx.identIs(name)) return name;
    const text = lx.value;
    const name = CANONICAL.get(text.toLowerCase());
    if (name !== undefined) return name;
    const hint = closest(text, MATCHER_NAMES);
    return this.fail(
      lx.column,
      `unknown matcher ${JSON.stringify(text)}; expected one of ${MATCHER_NAMES.join(', ')}` + (hint ? ` (did you mean ${hint}?)` : ''),
    );
  }

  private describeCurrent(): string {
    return describe(this.lx.peek(), this.lx.value);
  }

  /** Throws the rule's first lexical error if it has one (see Lexer.rest), else this one. */
  private fail(column: number, reason: string): never {
    this.lx.rest();
    throw new RuleError(this.lx.rule, column, reason);
  }
}

function describe(kind: TokenKind, value: string): string {
  switch (kind) {
    case 'eof':
      return 'end of rule';
    case 'ident':
      return value;
    case 'string':
      return `string ${JSON.stringify(value)}`;
    default:
      return `"${kind}"`;
  }
}
