/** The labels under one prefix (`switchyard.`, `traefik.`), keys relative to it. */
export interface PrefixedLabel {
  /** `http.routers.web.rule` */
  path: string;
  /** The whole label as written on the container: `switchyard.http.routers.web.rule`. */
  label: string;
  value: string;
}

/** Labels whose key starts with `<prefix>.` (case-insensitive), in key order. */
export function labelsUnder(labels: Record<string, string>, prefix: string): PrefixedLabel[] {
  const start = `${prefix.toLowerCase()}.`;
  return Object.entries(labels)
    .filter(([k]) => k.toLowerCase().startsWith(start))
    .map(([label, value]) => ({ path: label.slice(start.length), label, value }))
    .sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
}

export type Exposure = { exposed: boolean } | { error: string; label: PrefixedLabel };

/**
 * Whether a container is routed at all: its `<prefix>.enable` label, else `exposedByDefault`.
 * Needs nothing but the labels, which Docker repeats in every event, so events about containers
 * that are not exposed cost no API call.
 */
export function exposureOf(labels: Record<string, string>, prefix: string, exposedByDefault: boolean): Exposure {
  const enable = labelsUnder(labels, prefix).find((l) => l.path.toLowerCase() === 'enable');
  if (!enable) return { exposed: exposedByDefault };
  const v = enable.value.trim().toLowerCase();
  if (v === 'true') return { exposed: true };
  if (v === 'false') return { exposed: false };
  return { error: `expected true or false, got ${JSON.stringify(enable.value)}`, label: enable };
}

/** `web_1.blue` → `web-1-blue`: a container name usable as a router/service name and a host label. */
export function normalizeName(name: string): string {
  return name.replace(/[^A-Za-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'container';
}
