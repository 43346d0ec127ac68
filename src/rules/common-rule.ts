import { hostFormsOf, MATCHERS } from './matchers.js';
import type { RuleMatcher } from './types.js';

/**
 * The two shapes most routers' rules have, read without the lexer and parser:
 * `Host(`a`)` and `Host(`a`) && PathPrefix(`/p`)` (spaces around `&&` or none; backticks, or
 * double quotes without escapes). A 10,000-router first load parses 10,000 such rules, and the
 * general parser (a Lexer and a Parser object each, a token at a time) took about twice as long
 * (bench/RESULTS.md, "First load: servers acquired by their first reader, and the common rule
 * read directly").
 *
 * Gives exactly what the general path compiles such a rule into — the same host forms
 * (hostFormsOf) and the same shared PathPrefix() matcher — or undefined for anything else,
 * every error included: the general parser then reads the rule and reports the error at its
 * column (test/unit/rules/common-rule.test.ts holds both paths equal).
 */
export function compileCommonRule(rule: string): { hosts: string[]; rest: RuleMatcher | null } | undefined {
  if (!rule.startsWith('Host(')) return undefined;
  const hostEnd = closingQuote(rule, 5);
  if (hostEnd < 0 || rule.charCodeAt(hostEnd + 1) !== CLOSE) return undefined;
  const host = rule.slice(6, hostEnd);
  let i = hostEnd + 2;
  if (i === rule.length) return compiled(host, undefined);
  while (rule.charCodeAt(i) === SPACE) i++;
  if (rule.charCodeAt(i) !== AMP || rule.charCodeAt(i + 1) !== AMP) return undefined;
  i += 2;
  while (rule.charCodeAt(i) === SPACE) i++;
  if (!rule.startsWith('PathPrefix(', i)) return undefined;
  i += 11;
  const pathEnd = closingQuote(rule, i);
  if (pathEnd < 0 || pathEnd + 2 !== rule.length || rule.charCodeAt(pathEnd + 1) !== CLOSE) return undefined;
  const path = rule.slice(i + 1, pathEnd);
  if (!path.startsWith('/')) return undefined;
  return compiled(host, path);
}

const SPACE = 32;
const AMP = 38;
const CLOSE = 41;
const BACKTICK = 96;
const DOUBLE_QUOTE = 34;
const BACKSLASH = 92;

/** Index of the quote closing the string that opens at `open`, or -1 (no string there, or an escape in it). */
function closingQuote(rule: string, open: number): number {
  const quote = rule.charCodeAt(open);
  if (quote !== BACKTICK && quote !== DOUBLE_QUOTE) return -1;
  const end = rule.indexOf(quote === BACKTICK ? '`' : '"', open + 1);
  if (end < 0) return -1;
  // Escapes are the general lexer's to decode (or refuse).
  if (quote === DOUBLE_QUOTE) for (let i = open + 1; i < end; i++) if (rule.charCodeAt(i) === BACKSLASH) return -1;
  return end;
}

function compiled(host: string, path: string | undefined): { hosts: string[]; rest: RuleMatcher | null } | undefined {
  let hosts: string[];
  try {
    hosts = hostFormsOf([host]);
  } catch {
    return undefined; // a bad host: the general parser reports it
  }
  return { hosts, rest: path === undefined ? null : MATCHERS.PathPrefix.build([path]) };
}
