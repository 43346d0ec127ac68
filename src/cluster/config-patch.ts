import type { DynamicConfig, RouterConfig, ServiceConfig } from '../config/dynamic-config.js';

/**
 * What changed in one kind of item between two configs: replaced/added ones, and removed
 * names (a Map crosses the IPC channel as one: it is structured clone).
 */
export interface ItemPatch<T> {
  set: Map<string, T>;
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
  routers: ItemPatch<RouterConfig>;
  services: ItemPatch<ServiceConfig>;
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

function diffItems<T>(prev: ReadonlyMap<string, T> | undefined, next: ReadonlyMap<string, T>): ItemPatch<T> {
  const set = new Map<string, T>();
  const remove: string[] = [];
  for (const [name, item] of next) if (prev?.get(name) !== item) set.set(name, item);
  if (prev) for (const name of prev.keys()) if (!next.has(name)) remove.push(name);
  return { set, remove };
}

function applyItems<T>(prev: ReadonlyMap<string, T> | undefined, patch: ItemPatch<T>): Map<string, T> {
  const out = new Map(prev);
  for (const name of patch.remove) out.delete(name);
  for (const [name, item] of patch.set) out.set(name, item);
  return out;
}
