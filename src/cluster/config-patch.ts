import type { DynamicConfig } from '../config/dynamic-config.js';

/** What changed in one kind of item between two configs: replaced/added ones, and removed names. */
export interface ItemPatch<T> {
  set: Record<string, T>;
  remove: string[];
}

/**
 * A config as a change against the previous one a worker received. The primary sends only
 * items whose validated object changed (the validator hands back the same object for an
 * unchanged item), so a one-server change costs one item on the wire, and the worker keeps
 * every other item's object — which is what lets its runtime reuse unchanged services.
 */
export interface ConfigPatch {
  /** true: start from an empty config (the worker's first config, or after a restart). */
  full: boolean;
  routers: ItemPatch<DynamicConfig['http']['routers'][string]>;
  services: ItemPatch<DynamicConfig['http']['services'][string]>;
}

export function diffConfig(prev: DynamicConfig | undefined, next: DynamicConfig): ConfigPatch {
  return {
    full: prev === undefined,
    routers: diffItems(prev?.http.routers, next.http.routers),
    services: diffItems(prev?.http.services, next.http.services),
  };
}

/** `prev` patched: unchanged items keep their objects; `prev` itself is not modified. */
export function applyPatch(prev: DynamicConfig | undefined, patch: ConfigPatch): DynamicConfig {
  const base = patch.full ? undefined : prev;
  return {
    http: {
      routers: applyItems(base?.http.routers, patch.routers),
      services: applyItems(base?.http.services, patch.services),
    },
  };
}

function diffItems<T>(prev: Record<string, T> | undefined, next: Record<string, T>): ItemPatch<T> {
  const set: Record<string, T> = {};
  const remove: string[] = [];
  for (const name in next) if (prev?.[name] !== next[name]) set[name] = next[name]!;
  if (prev) for (const name in prev) if (!(name in next)) remove.push(name);
  return { set, remove };
}

function applyItems<T>(prev: Record<string, T> | undefined, patch: ItemPatch<T>): Record<string, T> {
  const out: Record<string, T> = { ...prev };
  for (const name of patch.remove) delete out[name];
  Object.assign(out, patch.set);
  return out;
}
