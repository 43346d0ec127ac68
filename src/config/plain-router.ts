import { routerSchema, type ParsedRouter } from './dynamic-schema.js';
import { isPlainObject } from './plain-object.js';

/**
 * The usual router, read without zod: a `rule` and a `service` (strings, trimmed as the schema
 * trims them, not empty), perhaps `entryPoints` (non-empty strings) and a whole-number
 * `priority`, nothing else. Anything else gives undefined and zod parses the item as before.
 * Like plainLoadBalancer (load-balancer.ts), it saves zod's parse of every router of a big
 * first load; the default priority is zod's own (test/unit/config/plain-router.test.ts holds
 * the result equal to zod's).
 */
export function plainRouter(item: unknown): ParsedRouter | undefined {
  if (!isPlainObject(item)) return undefined;
  let rule: unknown;
  let service: unknown;
  let entryPoints: unknown;
  let priority: unknown = defaultPriority();
  for (const key in item) {
    const value = (item as Record<string, unknown>)[key];
    if (key === 'rule') rule = value;
    else if (key === 'service') service = value;
    else if (key === 'entryPoints') entryPoints = value;
    else if (key === 'priority') priority = value;
    else return undefined;
  }
  if (typeof rule !== 'string' || typeof service !== 'string') return undefined;
  rule = rule.trim();
  service = service.trim();
  if ((rule as string).length === 0 || (service as string).length === 0) return undefined;
  if (typeof priority !== 'number' || !Number.isSafeInteger(priority) || priority < 0) return undefined;
  let list: string[] = [];
  if (entryPoints !== undefined) {
    if (!Array.isArray(entryPoints)) return undefined;
    for (const ep of entryPoints as unknown[]) if (typeof ep !== 'string' || ep.length === 0) return undefined;
    // A copy, as zod makes: the raw item stays as the provider gave it.
    list = (entryPoints as string[]).slice();
  }
  // zod's key order.
  return { entryPoints: list, rule: rule as string, priority, service: service as string };
}

let priority: number | undefined;

function defaultPriority(): number {
  return (priority ??= routerSchema.parse({ rule: 'Host(`a`)', service: 's' }).priority);
}
