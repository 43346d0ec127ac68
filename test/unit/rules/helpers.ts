import type { IncomingHttpHeaders } from 'node:http';
import { compileRuleText, parseRule, RuleError, type MatchRequest } from '../../../src/rules/index.js';

export interface RequestInit {
  host?: string;
  path?: string;
  /** Raw query string, without '?'. */
  query?: string;
  method?: string;
  headers?: IncomingHttpHeaders;
  clientIp?: string;
}

export function makeRequest(init: RequestInit = {}): MatchRequest {
  return {
    host: init.host ?? 'example.com',
    path: init.path ?? '/',
    rawQuery: init.query ?? '',
    method: init.method ?? 'GET',
    headers: init.headers ?? {},
    clientIp: init.clientIp ?? '192.0.2.1',
  };
}

/** Compiles `rule` and runs it against a request built from `init`. */
export function matches(rule: string, init: RequestInit = {}): boolean {
  return compileRuleText(rule)(makeRequest(init));
}

/** Parses `rule`, asserting it fails with a RuleError, and returns the error. */
export function parseError(rule: string): RuleError {
  try {
    parseRule(rule);
  } catch (err) {
    if (err instanceof RuleError) return err;
    throw err;
  }
  throw new Error(`expected ${JSON.stringify(rule)} to be rejected`);
}
