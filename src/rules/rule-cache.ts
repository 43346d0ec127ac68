import { allOf, anyOf, noneOf } from './compile.js';
import { hostFormsOf, hostMatcher, MATCHERS } from './matchers.js';
import { parseRuleWith, type RuleBuilder } from './parser.js';
import { RuleError, type RuleMatcher } from './types.js';

/** A rule ready for a routing table. Matchers are pure closures, so tables can share them. */
export interface CompiledRule {
  matcher: RuleMatcher;
  /** Hosts the rule requires (for the host index), or null. */
  hosts: string[] | null;
}

/**
 * Makes the matcher and the host list while the rule is parsed: no tree, and a Host()'s forms
 * are worked out once for both (hostsOf gives the same list from parseRule's tree).
 */
const compiling: RuleBuilder<CompiledRule> = {
  matcher(name, args) {
    if (name !== 'Host') return { matcher: MATCHERS[name].build(args), hosts: null };
    const hosts = hostFormsOf(args);
    return { matcher: hostMatcher(hosts), hosts };
  },
  // One constrained side suffices: the conjunction can only match where that side does.
  and: (left, right) => ({ matcher: allOf(left.matcher, right.matcher), hosts: left.hosts ?? right.hosts }),
  or: (left, right) => ({
    matcher: anyOf(left.matcher, right.matcher),
    hosts: left.hosts && right.hosts ? [...new Set([...left.hosts, ...right.hosts])] : null,
  }),
  not: (operand) => ({ matcher: noneOf(operand.matcher), hosts: null }),
};

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
      hit = parseRuleWith(rule, compiling);
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
