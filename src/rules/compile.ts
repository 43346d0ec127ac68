import { arityError, MATCHERS, MatcherArgError } from './matchers.js';
import { parseRule } from './parser.js';
import { RuleError, type RuleAst, type RuleMatcher } from './types.js';

/**
 * Turns an AST into nested closures. ASTs normally come from parseRule (already validated), but
 * hand-built ones are checked again; errors then point at column 1 of the offending matcher's text.
 */
export function compileRule(ast: RuleAst): RuleMatcher {
  return compileWith(ast, undefined);
}

/**
 * compileRule for an AST from parseRuleBuilding: its matchers' closures, in text order, are
 * `built` (validating the arguments already built them), so only the and/or/not glue is made.
 */
export function compileBuilt(ast: RuleAst, built: readonly RuleMatcher[]): RuleMatcher {
  const cursor = { built, next: 0 };
  const matcher = compileWith(ast, cursor);
  if (cursor.next !== built.length) throw new Error(`compileBuilt: ${built.length} matchers built, ${cursor.next} used`);
  return matcher;
}

function compileWith(ast: RuleAst, cursor: { built: readonly RuleMatcher[]; next: number } | undefined): RuleMatcher {
  switch (ast.type) {
    case 'and': {
      const left = compileWith(ast.left, cursor);
      const right = compileWith(ast.right, cursor);
      return (req) => left(req) && right(req);
    }
    case 'or': {
      const left = compileWith(ast.left, cursor);
      const right = compileWith(ast.right, cursor);
      return (req) => left(req) || right(req);
    }
    case 'not': {
      const operand = compileWith(ast.operand, cursor);
      return (req) => !operand(req);
    }
    case 'matcher': {
      if (cursor) {
        const matcher = cursor.built[cursor.next++];
        if (matcher === undefined) throw new Error('compileBuilt: fewer matchers built than the AST has');
        return matcher;
      }
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

export function compileRuleText(rule: string): RuleMatcher {
  return compileRule(parseRule(rule));
}
