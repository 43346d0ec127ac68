import { compileBuilt } from './compile.js';
import { hostsOf } from './hosts.js';
import { parseRuleBuilding } from './parser.js';
import { RuleError, type RuleMatcher } from './types.js';

/** A rule ready for a routing table. Matchers are pure closures, so tables can share them. */
export interface CompiledRule {
  matcher: RuleMatcher;
  /** Hosts the rule requires (for the host index), or null. */
  hosts: string[] | null;
}

/** Past this many distinct rules the cache starts over: bounded memory under rule churn. */
const MAX_ENTRIES = 100_000;
const cache = new Map<string, CompiledRule | RuleError>();

/**
 * Parses and compiles a rule once per distinct text: validation and every later table build
 * reuse the result, so a reload that keeps most rules does not parse them again.
 * Throws RuleError exactly as parseRule would.
 */
export function compiledRule(rule: string): CompiledRule {
  let hit = cache.get(rule);
  if (hit === undefined) {
    try {
      const built: RuleMatcher[] = [];
      const ast = parseRuleBuilding(rule, built);
      // The AST is not kept: what a table needs is the matcher and the hosts (less for the GC to copy).
      hit = { matcher: compileBuilt(ast, built), hosts: hostsOf(ast) };
    } catch (err) {
      if (!(err instanceof RuleError)) throw err;
      hit = err;
    }
    if (cache.size >= MAX_ENTRIES) cache.clear();
    cache.set(rule, hit);
  }
  if (hit instanceof RuleError) throw hit;
  return hit;
}
