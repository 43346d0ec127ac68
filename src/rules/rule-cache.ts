import { allOf, anyOf, noneOf } from './compile.js';
import { compileCommonRule } from './common-rule.js';
import { hostsOfEither } from './hosts.js';
import { hostFormsOf, hostMatcher, MATCHERS } from './matchers.js';
import { parseRuleWith, type RuleBuilder } from './parser.js';
import { RuleError, type RuleMatcher } from './types.js';

/**
 * A rule ready for a routing table, split the way the table uses it: the host index finds the
 * routes whose `hosts` admit the request's host, and only `rest` is left to check. Matchers are
 * pure closures, so tables can share them.
 */
export interface CompiledRule {
  /** Hosts the rule requires (the host index files the route under them), or null. */
  hosts: string[] | null;
  /**
   * What is left to check of a request whose host is one of `hosts` (as the host index looks
   * it up), or the whole rule when `hosts` is null; null when nothing is left (a plain Host()).
   * `Host(\`a\`) && PathPrefix(\`/api\`)` keeps one closure instead of three with their
   * contexts (~200 B less per router), and a request makes one call instead of three.
   */
  rest: RuleMatcher | null;
}

/**
 * A parsed piece of a rule, while the parser builds bottom-up. Matchers are made only where
 * they are needed: an `and` with a Host() side needs no matcher for that side (see restOf).
 */
interface Piece {
  /** Hosts this piece requires, or null. */
  readonly hosts: string[] | null;
  /** A Host() matcher: checked by the host index when it gives the route's hosts. */
  readonly host: boolean;
  /** The piece's whole matcher; for Host() and `and` pieces made on demand (wholeOf). */
  matcher: RuleMatcher | undefined;
  /** The sides of an `and`. */
  readonly left: Piece | undefined;
  readonly right: Piece | undefined;
}

const piece = (hosts: string[] | null, host: boolean, matcher: RuleMatcher | undefined, left?: Piece, right?: Piece): Piece => ({ hosts, host, matcher, left, right });

function wholeOf(p: Piece): RuleMatcher {
  return (p.matcher ??= p.left ? allOf(wholeOf(p.left), wholeOf(p.right!)) : hostMatcher(p.hosts!));
}

/** What is left of `p` to check for a request whose host is in `p.hosts`; null = nothing. */
function restOf(p: Piece): RuleMatcher | null {
  if (p.host) return null;
  if (!p.left) return wholeOf(p);
  // The conjunction's hosts are its left side's when that has some, else its right side's.
  if (p.left.hosts) return both(restOf(p.left), wholeOf(p.right!));
  if (p.right!.hosts) return both(wholeOf(p.left), restOf(p.right!));
  return wholeOf(p);
}

function both(a: RuleMatcher | null, b: RuleMatcher | null): RuleMatcher | null {
  if (a === null) return b;
  if (b === null) return a;
  return allOf(a, b);
}

const compiling: RuleBuilder<Piece> = {
  matcher(name, args) {
    if (name === 'Host') return piece(hostFormsOf(args), true, undefined);
    return piece(null, false, MATCHERS[name].build(args));
  },
  // One constrained side suffices: the conjunction can only match where that side does.
  and: (left, right) => piece(left.hosts ?? right.hosts, false, undefined, left, right),
  or: (left, right) => piece(left.hosts && right.hosts ? hostsOfEither(left.hosts, right.hosts) : null, false, anyOf(wholeOf(left), wholeOf(right))),
  not: (operand) => piece(null, false, noneOf(wholeOf(operand))),
};

function compile(rule: string): CompiledRule {
  const root = parseRuleWith(rule, compiling);
  return { hosts: root.hosts, rest: restOf(root) };
}

/**
 * Compiled rules other than the common shapes (see compiledRule), by text, in two generations:
 * a lookup finds a rule made in this generation or the one before (and brings it into this
 * one). Every validation round starts a generation (newRuleGeneration), and so does every
 * config a worker process receives (it validates nothing), so the cache holds what the last two
 * rounds used: rules shared by several routers, and the rules a worker's build compiles (the
 * table build after a validation takes each router's rule from the router, ValidRouter). It
 * need not hold more: a route that stays, or only moves, keeps its compiled rule
 * (route-order.ts), and an unchanged router is not validated again. Before, every distinct rule
 * ever seen stayed until 100,000 of them (~490 B each) were cached.
 */
let current = new Map<string, CompiledRule | RuleError>();
let previous = new Map<string, CompiledRule | RuleError>();

/** Past this many rules in one generation it starts over: bounded memory whatever one round brings. */
const MAX_ENTRIES = 100_000;

/** Rules the cache holds (for tests). */
export function cachedRuleCount(): number {
  return current.size + previous.size;
}

/** Starts a generation: rules neither this one nor the one before used are let go. */
export function newRuleGeneration(): void {
  // An empty generation stays: rounds that compile nothing keep the rules of the last that did.
  if (current.size === 0) return;
  previous = current;
  current = new Map();
}

/**
 * A rule compiled: the common shapes read directly (common-rule.ts), any other parsed and
 * compiled once per distinct text (see above), so that validation and the table build that
 * follows share the result. Throws RuleError exactly as parseRule would.
 *
 * Common rules skip the cache: reading one directly costs less than the cache's lookup and
 * insert into Maps of 10,000 strings (each a cache miss in memory; bench/RESULTS.md, "First
 * load: where a warm load's time goes now"), and validation hands its result to the build
 * (ValidRouter) rather than the build looking it up again.
 */
export function compiledRule(rule: string): CompiledRule {
  const common = compileCommonRule(rule);
  if (common) return common;
  let hit = current.get(rule);
  if (hit === undefined) {
    hit = previous.get(rule);
    if (hit === undefined) {
      try {
        hit = compile(rule);
      } catch (err) {
        if (!(err instanceof RuleError)) throw err;
        hit = err;
      }
    }
    if (current.size >= MAX_ENTRIES) current.clear();
    current.set(rule, hit);
  }
  if (hit instanceof RuleError) throw hit;
  return hit;
}
