import { hostForms } from './host.js';
import type { RuleAst } from './types.js';

/**
 * The hosts a request must have for `ast` to match, or null when the rule does not pin the host.
 * The routing table indexes routers by these so it need not scan every router per request.
 */
export function hostsOf(ast: RuleAst): string[] | null {
  switch (ast.type) {
    case 'matcher':
      if (ast.name !== 'Host') return null;
      // hostForms yields distinct forms, so one argument needs no Set.
      return ast.args.length === 1 ? hostForms(ast.args[0]!) : [...new Set(ast.args.flatMap(hostForms))];
    case 'and':
      // One constrained side suffices: the conjunction can only match where that side does.
      return hostsOf(ast.left) ?? hostsOf(ast.right);
    case 'or': {
      const left = hostsOf(ast.left);
      const right = left && hostsOf(ast.right);
      return left && right ? [...new Set([...left, ...right])] : null;
    }
    case 'not':
      return null;
  }
}
