export { parseRule } from './parser.js';
export { compileRule, compileRuleText } from './compile.js';
export { hostsOf } from './hosts.js';
export { createIpMatcher } from './ip-match.js';
export { RuleError } from './types.js';
export type { MatchRequest, MatcherName, RuleAst, RuleMatcher } from './types.js';
export { compiledRule, newRuleGeneration, type CompiledRule } from './rule-cache.js';
