import type { IncomingHttpHeaders } from 'node:http';

/** The parts of a request a rule can look at; built once per request by the entry point. */
export interface MatchRequest {
  /** Lower-cased Host header (or :authority) without the port; '' when absent. */
  readonly host: string;
  /** Path as received, without the query string; never decoded. */
  readonly path: string;
  /** Raw query string without '?' ('' when none). Parsed lazily by query matchers. */
  readonly rawQuery: string;
  /** Upper-case method. */
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  /** Real client IP (socket peer; see entrypoints/client-ip.ts), IPv4-mapped IPv6 unwrapped. */
  readonly clientIp: string;
}

/** A compiled rule: pure, allocation-light, built once per RoutingTable. */
export type RuleMatcher = (req: MatchRequest) => boolean;

export type RuleAst =
  | { readonly type: 'matcher'; readonly name: MatcherName; readonly args: readonly string[]; readonly column: number }
  | { readonly type: 'and'; readonly left: RuleAst; readonly right: RuleAst }
  | { readonly type: 'or'; readonly left: RuleAst; readonly right: RuleAst }
  | { readonly type: 'not'; readonly operand: RuleAst };

export type MatcherName =
  | 'Host'
  | 'HostRegexp'
  | 'Path'
  | 'PathPrefix'
  | 'PathRegexp'
  | 'Header'
  | 'HeaderRegexp'
  | 'Query'
  | 'QueryRegexp'
  | 'Method'
  | 'ClientIP';

/** A rule that cannot be parsed or compiled; `column` is 1-based into the rule text. */
export class RuleError extends Error {
  constructor(
    readonly rule: string,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`rule ${JSON.stringify(rule)}: column ${column}: ${reason}`);
    this.name = 'RuleError';
  }
}
