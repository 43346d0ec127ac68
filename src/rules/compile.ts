import { arityError, MATCHERS, MatcherArgError } from './matchers.js';
import { parseRule } from './parser.js';
import { RuleError, type RuleAst, type RuleMatcher } from './types.js';

/**
 * Turns an AST into nested closures. ASTs normally come from parseRule (already validated), but
 * hand-built ones are checked again; errors then point at column 1 of the offending matcher's text.
 */
export function compileRule(ast: RuleAst): RuleMatcher {
  switch (ast.type) {
    case 'and':
      return allOf(compileRule(ast.left), compileRule(ast.right));
    case 'or':
      return anyOf(compileRule(ast.left), compileRule(ast.right));
    case 'not':
      return noneOf(compileRule(ast.operand));
    case 'matcher': {
      const spec = MATCHERS[ast.name];
      const text = `${ast.name}(${ast.args.map((a) => JSON.stringify(a)).join(', ')})`;
      if (spec === undefined) throw new RuleError(text, 1, `unknown matcher ${JSON.stringify(ast.name)}`);
      const arity = arityError(ast.name, ast.args.length);
      if (arity !== undefined) throw new RuleError(text, 1, arity);
      try {
        return spec.build(ast.args);
      } catch (err) {
        if (err instanceof MatcherArgError) throw new RuleError(text, 1, `${ast.name}: ${err.message}`);
        throw err;
      }
    }
  }
}

// The glue between matchers: functions of their own, so each closure keeps only its operands.

export function allOf(left: RuleMatcher, right: RuleMatcher): RuleMatcher {
  return (req) => left(req) && right(req);
}

export function anyOf(left: RuleMatcher, right: RuleMatcher): RuleMatcher {
  return (req) => left(req) || right(req);
}

export function noneOf(operand: RuleMatcher): RuleMatcher {
  return (req) => !operand(req);
}

export function compileRuleText(rule: string): RuleMatcher {
  return compileRule(parseRule(rule));
}
