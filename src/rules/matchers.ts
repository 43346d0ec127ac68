import { hostForms, isWildcard } from './host.js';
import { createIpMatcher, ipEntryError } from './ip-match.js';
import { compileRegexp } from './regexp.js';
import type { MatchRequest, MatcherName, RuleMatcher } from './types.js';

/** A bad argument; the parser or compiler turns it into a RuleError at the argument's position. */
export class MatcherArgError extends Error {
  constructor(
    readonly argIndex: number,
    reason: string,
  ) {
    super(reason);
  }
}

export interface MatcherSpec {
  readonly minArgs: number;
  readonly maxArgs: number;
  /** Argument names shown in arity errors, e.g. "(name, value)". */
  readonly usage: string;
  /** Validates and normalises everything once, so the returned closure only compares. */
  readonly build: (args: readonly string[]) => RuleMatcher;
}

const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Runs `fn` so that its plain Error is reported against argument `index`. */
function atArg<T>(index: number, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof MatcherArgError) throw err;
    throw new MatcherArgError(index, (err as Error).message);
  }
}

function regexpArg(args: readonly string[], index: number, alwaysIgnoreCase = false): RegExp {
  return atArg(index, () => compileRegexp(args[index]!, alwaysIgnoreCase));
}

function tokenArg(args: readonly string[], index: number, what: string): string {
  const value = args[index]!;
  if (!HTTP_TOKEN.test(value)) throw new MatcherArgError(index, `invalid ${what} ${JSON.stringify(value)}`);
  return value;
}

/** Checks that every argument is a path; returns them as they are. */
function pathArgs(args: readonly string[]): readonly string[] {
  for (let i = 0; i < args.length; i++) {
    if (!args[i]!.startsWith('/')) throw new MatcherArgError(i, `path ${JSON.stringify(args[i])} must start with "/"`);
  }
  return args;
}

/**
 * The distinct spellings `req.host` may take for a Host() matcher's arguments, in order:
 * what the host index files the rule under, and what its matcher compares against.
 */
export function hostFormsOf(args: readonly string[]): string[] {
  if (args.length === 1) return hostFormsAt(args, 0);
  const forms = new Set<string>();
  for (let i = 0; i < args.length; i++) for (const form of hostFormsAt(args, i)) forms.add(form);
  return [...forms];
}

function hostFormsAt(args: readonly string[], index: number): string[] {
  try {
    return hostForms(args[index]!);
  } catch (err) {
    throw new MatcherArgError(index, (err as Error).message);
  }
}

/** The matcher for a Host() whose forms are `forms` (hostFormsOf). */
export function hostMatcher(forms: readonly string[]): RuleMatcher {
  // One host (the usual rule): a string compare, and no Set kept per router.
  if (forms.length === 1 && !isWildcard(forms[0]!)) return hostIs(forms[0]!);
  const exact = new Set<string>();
  const suffixes: string[] = [];
  for (const form of forms) {
    if (isWildcard(form)) suffixes.push(form.slice(1));
    else exact.add(form);
  }
  if (suffixes.length === 0) return (req) => exact.has(req.host);
  return (req) => exact.has(req.host) || matchesWildcard(req.host, suffixes);
}

function buildHost(args: readonly string[]): RuleMatcher {
  return hostMatcher(hostFormsOf(args));
}

/** Its own function so the closure keeps only `host` alive, not buildHost's Set. */
function hostIs(host: string): RuleMatcher {
  return (req) => req.host === host;
}

/**
 * One-prefix PathPrefix() matchers by prefix. Many routers share a prefix (`/api`), and a closure
 * with its context is ~96 B that a 10,000-router table kept per router and the young-generation
 * GC copied twice. Bounded: emptied when full, so odd prefixes cannot pile up.
 */
const prefixMatchers = new Map<string, RuleMatcher>();
const MAX_SHARED_PREFIXES = 1024;

/** Its own function so the closure keeps only `prefix` alive, not the argument lists. */
function pathStartsWith(prefix: string): RuleMatcher {
  let matcher = prefixMatchers.get(prefix);
  if (matcher === undefined) {
    if (prefixMatchers.size >= MAX_SHARED_PREFIXES) prefixMatchers.clear();
    matcher = (req) => req.path.startsWith(prefix);
    prefixMatchers.set(prefix, matcher);
  }
  return matcher;
}

/** `*.example.com` stands for exactly one extra label, so the part before the suffix must be dot-free. */
function matchesWildcard(host: string, suffixes: readonly string[]): boolean {
  for (const suffix of suffixes) {
    const labelEnd = host.length - suffix.length;
    if (labelEnd > 0 && host.endsWith(suffix) && host.lastIndexOf('.', labelEnd - 1) === -1) return true;
  }
  return false;
}

/** Whether a comma-joined header value has an element equal to `value`, without splitting it. */
function listHas(joined: string, value: string): boolean {
  let start = 0;
  while (start <= joined.length) {
    let end = joined.indexOf(',', start);
    if (end === -1) end = joined.length;
    let from = start;
    let to = end;
    while (from < to && (joined[from] === ' ' || joined[from] === '\t')) from++;
    while (to > from && (joined[to - 1] === ' ' || joined[to - 1] === '\t')) to--;
    if (to - from === value.length && joined.startsWith(value, from)) return true;
    start = end + 1;
  }
  return false;
}

function listSome(joined: string, test: (element: string) => boolean): boolean {
  let start = 0;
  while (start <= joined.length) {
    let end = joined.indexOf(',', start);
    if (end === -1) end = joined.length;
    if (test(joined.slice(start, end).trim())) return true;
    start = end + 1;
  }
  return false;
}

/** Looks at every occurrence of a header; Node gives an array only for set-cookie. */
function headerMatcher(name: string, testValue: (value: string) => boolean): RuleMatcher {
  return (req) => {
    const v = req.headers[name];
    if (v === undefined) return false;
    if (typeof v === 'string') return testValue(v);
    for (const item of v) if (testValue(item)) return true;
    return false;
  };
}

// Node joins other repeated headers with ", ", so a string is matched both whole and element by
// element: either may be what the client actually sent.

function buildHeader(args: readonly string[]): RuleMatcher {
  const name = tokenArg(args, 0, 'header name').toLowerCase();
  const expected = args[1]!;
  return headerMatcher(name, (v) => v === expected || (v.includes(',') && listHas(v, expected)));
}

function buildHeaderRegexp(args: readonly string[]): RuleMatcher {
  const name = tokenArg(args, 0, 'header name').toLowerCase();
  const re = regexpArg(args, 1);
  const test = (v: string): boolean => re.test(v);
  return headerMatcher(name, (v) => re.test(v) || (v.includes(',') && listSome(v, test)));
}

function queryKeyArg(args: readonly string[]): string {
  const key = args[0]!;
  if (key === '') throw new MatcherArgError(0, 'query parameter name must not be empty');
  return key;
}

function buildQuery(args: readonly string[]): RuleMatcher {
  const key = queryKeyArg(args);
  if (args.length === 1) return (req) => req.rawQuery !== '' && new URLSearchParams(req.rawQuery).has(key);
  const expected = args[1]!;
  return (req) => req.rawQuery !== '' && new URLSearchParams(req.rawQuery).getAll(key).includes(expected);
}

function buildQueryRegexp(args: readonly string[]): RuleMatcher {
  const key = queryKeyArg(args);
  const re = regexpArg(args, 1);
  return (req) => {
    if (req.rawQuery === '') return false;
    for (const v of new URLSearchParams(req.rawQuery).getAll(key)) if (re.test(v)) return true;
    return false;
  };
}

function buildMethod(args: readonly string[]): RuleMatcher {
  const methods = new Set(args.map((_, i) => tokenArg(args, i, 'method').toUpperCase()));
  return (req) => methods.has(req.method);
}

function buildClientIp(args: readonly string[]): RuleMatcher {
  args.forEach((entry, i) => {
    const error = ipEntryError(entry.trim());
    if (error !== undefined) throw new MatcherArgError(i, error);
  });
  const contains = createIpMatcher(args);
  return (req: MatchRequest) => contains(req.clientIp);
}

const MANY = Number.POSITIVE_INFINITY;

export const MATCHERS: Readonly<Record<MatcherName, MatcherSpec>> = {
  Host: { minArgs: 1, maxArgs: MANY, usage: '(host, ...)', build: buildHost },
  HostRegexp: {
    minArgs: 1,
    maxArgs: 1,
    usage: '(regexp)',
    build: (args) => {
      // Hosts are case-insensitive, so the regexp is too, whatever the user wrote.
      const re = regexpArg(args, 0, true);
      return (req) => re.test(req.host);
    },
  },
  Path: {
    minArgs: 1,
    maxArgs: MANY,
    usage: '(path, ...)',
    build: (args) => {
      const paths = new Set(pathArgs(args));
      return (req) => paths.has(req.path);
    },
  },
  PathPrefix: {
    minArgs: 1,
    maxArgs: MANY,
    usage: '(prefix, ...)',
    build: (args) => {
      const prefixes = pathArgs(args);
      if (prefixes.length === 1) return pathStartsWith(prefixes[0]!);
      return (req) => {
        for (const p of prefixes) if (req.path.startsWith(p)) return true;
        return false;
      };
    },
  },
  PathRegexp: {
    minArgs: 1,
    maxArgs: 1,
    usage: '(regexp)',
    build: (args) => {
      const re = regexpArg(args, 0);
      return (req) => re.test(req.path);
    },
  },
  Header: { minArgs: 2, maxArgs: 2, usage: '(name, value)', build: buildHeader },
  HeaderRegexp: { minArgs: 2, maxArgs: 2, usage: '(name, regexp)', build: buildHeaderRegexp },
  Query: { minArgs: 1, maxArgs: 2, usage: '(key[, value])', build: buildQuery },
  QueryRegexp: { minArgs: 2, maxArgs: 2, usage: '(key, regexp)', build: buildQueryRegexp },
  Method: { minArgs: 1, maxArgs: MANY, usage: '(method, ...)', build: buildMethod },
  ClientIP: { minArgs: 1, maxArgs: MANY, usage: '(ip or CIDR, ...)', build: buildClientIp },
};

export const MATCHER_NAMES = Object.keys(MATCHERS) as MatcherName[];

/** The arity complaint for `name` given `count` arguments, or undefined when the count is fine. */
export function arityError(name: MatcherName, count: number): string | undefined {
  const { minArgs, maxArgs, usage } = MATCHERS[name];
  if (count >= minArgs && count <= maxArgs) return undefined;
  const plural = (n: number): string => `${n} argument${n === 1 ? '' : 's'}`;
  const needs =
    minArgs === maxArgs
      ? plural(minArgs)
      : maxArgs === MANY
        ? `at least ${plural(minArgs)}`
        : `${minArgs} or ${plural(maxArgs)}`;
  return `${name} needs ${needs} ${usage}, got ${count}`;
}
