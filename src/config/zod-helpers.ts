import { z } from 'zod';
import { parseDuration } from './duration.js';

/** A duration field: `2s`, `500ms`, `1m`, or plain milliseconds. Output: milliseconds. */
export function duration(defaultMs: number) {
  return z
    .union([z.string(), z.number()])
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return defaultMs;
      const ms = parseDuration(v);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `expected a duration like 500ms, 2s or 1m, got ${JSON.stringify(v)}` });
        return z.NEVER;
      }
      return ms;
    });
}

/** Turns a zod issue path into `a.b[0].c`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out;
}

/** Dotted path for origin lookups: `a.b.0.c`. */
export function dottedPath(prefix: string, path: readonly PropertyKey[]): string {
  return [prefix, ...path.map(String)].filter((s) => s !== '').join('.');
}

export interface FieldIssue {
  path: PropertyKey[];
  field: string;
  message: string;
}

/** zod's messages, made to say what was expected and what was found. */
export function issuesOf(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => {
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      message = `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}; check the spelling (names are case-sensitive, e.g. loadBalancer, passHostHeader)`;
    }
    return { path: issue.path as PropertyKey[], field: formatPath(issue.path as PropertyKey[]), message };
  });
}
