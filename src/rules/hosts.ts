import { hostFormsOf } from './matchers.js';
import type { RuleAst } from './types.js';

/**
 * The hosts a request must have for `ast` to match, or null when the rule does not pin the host.
 * The routing table indexes routers by these so it need not scan every router per request.
 */
export function hostsOf(ast: RuleAst): string[] | null {
  switch (ast.type) {
    case 'matcher':
      return ast.name === 'Host' ? hostFormsOf(ast.args) : null;
    case 'and':
      // One constrained side suffices: the conjunction can only match where that side does.
      return hostsOf(ast.left) ?? hostsOf(ast.right);
    case 'or': {
      const left = hostsOf(ast.left);
      const right = left && hostsOf(ast.right);
      return left && right ? hostsOfEither(left, right) : null;
    }
    case 'not':
      return null;
  }
}

/** The hosts of `a || b` when both sides pin the host: either side's, each once. */
export function hostsOfEither(left: readonly string[], right: readonly string[]): string[] {
  return [...new Set([...left, ...right])];
}
