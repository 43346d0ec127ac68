import { routerSchema } from './dynamic-schema.js';
import { isPlainObject, isWholeNumber } from './plain-object.js';
import { ValidRouter } from './valid-router.js';

/**
 * The usual router, read without zod: a `rule` and a `service` (strings, trimmed as the schema
 * trims them, not empty), perhaps `entryPoints` (non-empty strings) and a whole-number
 * `priority`, nothing else. Anything else gives undefined and zod parses the item as before.
 * Like plainLoadBalancer (load-balancer.ts), it saves zod's parse of every router of a big
 * first load; the default priority is zod's own (test/unit/config/plain-router.test.ts holds
 * the result's fields equal to zod's).
 */
export function plainRouter(item: unknown): ValidRouter | undefined {
  if (!isPlainObject(item)) return undefined;
  let rawRule: unknown;
  let rawService: unknown;
  let entryPoints: unknown;
  let priority: unknown = defaultPriority();
  for (const key in item) {
    const value = (item as Record<string, unknown>)[key];
    if (key === 'rule') rawRule = value;
    else if (key === 'service') rawService = value;
    else if (key === 'entryPoints') entryPoints = value;
    else if (key === 'priority') priority = value;
    else return undefined;
  }
  if (typeof rawRule !== 'string' || typeof rawService !== 'string' || !isWholeNumber(priority)) return undefined;
  const rule = rawRule.trim();
  const service = rawService.trim();
  if (rule.length === 0 || service.length === 0) return undefined;
  let list: string[] = [];
  if (entryPoints !== undefined) {
    if (!Array.isArray(entryPoints)) return undefined;
    for (const ep of entryPoints as unknown[]) if (typeof ep !== 'string' || ep.length === 0) return undefined;
    // A copy, as zod makes: the raw item stays as the provider gave it.
    list = (entryPoints as string[]).slice();
  }
  // zod's fields, in zod's key order.
  return new ValidRouter(list, rule, priority, service);
}

let priority: number | undefined;

function defaultPriority(): number {
  return (priority ??= routerSchema.parse({ rule: 'Host(`a`)', service: 's' }).priority);
}
