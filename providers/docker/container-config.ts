import type { ConfigError } from '../../src/config/dynamic-config.js';
import { dottedToKv } from '../kv/dotted-keys.js';
import { kvToConfig } from '../kv/kv-to-config.js';
import { containerHost, exposedPort } from './container-address.js';
import type { ContainerFacts } from './container-facts.js';
import { renderDefaultRule } from './default-rule.js';
import { exposureOf, labelsUnder, normalizeName, type PrefixedLabel } from './labels.js';

export interface LabelOptions {
  /** Provider name, for errors (`docker`). */
  provider: string;
  /** `switchyard`, or `traefik` to read existing Traefik labels. */
  prefix: string;
  exposedByDefault: boolean;
  /** Network whose address to use when a container is on several ('' = the first by name). */
  network: string;
  /** Rule of the router made for a container with no router label; `{{name}}` = its normalized name. */
  defaultRule: string;
  /** Address of containers on the host network (127.0.0.1 for a local engine). */
  hostAddress: string;
}

/** This container's server in one service's pool. */
export interface ServerPart {
  url: string;
  weight?: string;
  /** Where the url and weight came from (a label, or the container's exposed port). */
  urlOrigin: string;
  weightOrigin?: string;
}

/** One container's share of the dynamic config: items as its labels define them, plus its server. */
export interface ContainerConfig {
  id: string;
  name: string;
  created: number;
  routers: Record<string, unknown>;
  /** Services without servers; `servers[name]` is this container's server in each. */
  services: Record<string, unknown>;
  servers: Record<string, ServerPart>;
  /** Labels outside http routers and services (tcp, http.middlewares, …), for validation to report. */
  extra: Record<string, unknown>;
  /** Per item (`http.routers.web`): dotted field path → `container web-1: label switchyard.http.routers.web.rule`. */
  origins: Map<string, Record<string, string>>;
  errors: ConfigError[];
}

export type ContainerView = { kind: 'skip'; reason: string } | { kind: 'config'; config: ContainerConfig };

/**
 * One container's labels → its routers, services and server (Traefik's Docker rules): no service
 * label → a service named after the container; no router label → one router named after the
 * container with `defaultRule`; a router without `service` → the container's only service; the
 * server is `scheme://address:port` from `loadBalancer.server.{port,scheme,weight}`, the port
 * defaulting to the single exposed one. A container whose server cannot be built contributes
 * only an error that names it and says which label to add.
 */
export function containerConfig(c: ContainerFacts, o: LabelOptions): ContainerView {
  const exposure = exposureOf(c.labels, o.prefix, o.exposedByDefault);
  const where = (l?: PrefixedLabel): string => `container ${c.name}${l ? `: label ${l.label}` : ''}`;
  const config: ContainerConfig = { id: c.id, name: c.name, created: c.created, routers: {}, services: {}, servers: {}, extra: {}, origins: new Map(), errors: [] };
  // An error about the whole container names it as the item; one about a label also points at it.
  const broken = (item: string, field: string, message: string, label?: PrefixedLabel): ContainerView => {
    const origin = label || item !== `container ${c.name}` ? where(label) : undefined;
    config.errors.push({ provider: o.provider, item, field, message: `${message}; container ${c.name} is not routed until this is fixed`, ...(origin ? { origin } : {}) });
    return { kind: 'config', config: { ...config, routers: {}, services: {}, servers: {}, extra: {}, origins: new Map() } };
  };
  if ('error' in exposure) return broken(`container ${c.name}`, '', exposure.error, exposure.label);
  if (!exposure.exposed) return { kind: 'skip', reason: `not exposed (${o.prefix}.enable is not true and exposedByDefault is false, or ${o.prefix}.enable=false)` };
  if (!c.running) return { kind: 'skip', reason: 'not running' };
  if (c.health === 'starting' || c.health === 'unhealthy') return { kind: 'skip', reason: `its Docker health check is ${c.health}` };

  // Split the labels: server fields (per container), docker.* settings, and the KV-shaped rest.
  const serverLabels = new Map<string, Map<string, PrefixedLabel>>();
  const plain: PrefixedLabel[] = [];
  let networkLabel: PrefixedLabel | undefined;
  for (const l of labelsUnder(c.labels, o.prefix)) {
    const seg = l.path.split('.');
    const lower = seg.map((s) => s.toLowerCase());
    if (seg.some((s) => s === '')) return broken(`container ${c.name}`, '', 'the label has an empty part (a doubled or trailing dot)', l);
    if (lower.length === 1 && lower[0] === 'enable') continue;
    if (lower[0] === 'docker') {
      if (lower.length === 2 && lower[1] === 'network') {
        networkLabel = l;
        continue;
      }
      return broken(`container ${c.name}`, '', `unknown label; the only ${o.prefix}.docker label is ${o.prefix}.docker.network`, l);
    }
    if (lower[0] === 'http' && lower[1] === 'services' && lower[3] === 'loadbalancer' && (lower[4] === 'server' || lower[4] === 'servers')) {
      const service = seg[2]!;
      const field = lower[5];
      const base = `${o.prefix}.http.services.${service}.loadBalancer.server`;
      if (lower[4] === 'servers') {
        return broken(`service ${service}@${o.provider}`, 'loadBalancer.servers', `servers come from the containers themselves; set ${base}.port (and .scheme, .weight) instead`, l);
      }
      if (seg.length !== 6 || (field !== 'port' && field !== 'scheme' && field !== 'weight')) {
        return broken(`service ${service}@${o.provider}`, 'loadBalancer.server', `unknown server label; expected ${base}.port, ${base}.scheme or ${base}.weight`, l);
      }
      let fields = serverLabels.get(service);
      if (!fields) serverLabels.set(service, (fields = new Map()));
      fields.set(field, l);
      continue;
    }
    plain.push(l);
  }

  const entries = dottedToKv(plain.map((l) => [l.path, l.value] as const), o.prefix);
  const labelOfKey = new Map<string, PrefixedLabel>();
  const byPath = new Map(plain.map((l) => [l.path, l]));
  for (const e of entries) labelOfKey.set(e.key, byPath.get(e.from)!);
  const kv = kvToConfig(entries.map((e) => [e.key, e.value] as const), o.prefix, o.provider);
  // kvToConfig's messages name KV keys (`key root/http/…`, or bare); say which label instead.
  const labelText = (text: string): string =>
    text.replace(/(?:key )?([^\s;,()]+\/[^\s;,()]+)/g, (whole, key: string) => (labelOfKey.has(key) ? `label ${labelOfKey.get(key)!.label}` : whole));
  for (const e of kv.errors) {
    const key = /^key (\S+)$/.exec(e.item)?.[1];
    const label = key ? labelOfKey.get(key) : undefined;
    const { origin: _kvOrigin, ...rest } = e;
    config.errors.push({ ...rest, item: `container ${c.name}`, message: labelText(e.message), ...(label ? { origin: where(label) } : {}) });
  }
  const originOf = (key: string): string => where(labelOfKey.get(key));
  for (const [path, key] of Object.entries(kv.origins)) {
    const parts = path.split('.');
    const item = parts[0] === 'http' && (parts[1] === 'routers' || parts[1] === 'services') && parts.length >= 3 ? parts.slice(0, 3).join('.') : '';
    let map = config.origins.get(item);
    if (!map) config.origins.set(item, (map = {}));
    map[path] = originOf(key);
  }

  const raw = kv.config as Record<string, unknown>;
  const http = isObject(raw['http']) ? raw['http'] : {};
  for (const [k, v] of Object.entries(raw)) if (k !== 'http') config.extra[k] = v;
  const httpExtra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(http)) if (k !== 'routers' && k !== 'services') httpExtra[k] = v;
  if (Object.keys(httpExtra).length > 0) config.extra['http'] = httpExtra;
  const routers: Record<string, unknown> = isObject(http['routers']) ? { ...http['routers'] } : {};
  const services: Record<string, unknown> = isObject(http['services']) ? { ...http['services'] } : {};
  for (const s of serverLabels.keys()) services[s] ??= {};

  const defaultName = normalizeName(c.name);
  const addOrigin = (item: string, path: string, origin: string): void => {
    let map = config.origins.get(item);
    if (!map) config.origins.set(item, (map = {}));
    map[path] ??= origin;
  };
  if (Object.keys(services).length === 0) {
    services[defaultName] = {};
    addOrigin(`http.services.${defaultName}`, `http.services.${defaultName}`, where());
  }
  const serviceNames = Object.keys(services);
  if (Object.keys(routers).length === 0) {
    if (serviceNames.length === 1) {
      routers[defaultName] = {};
      addOrigin(`http.routers.${defaultName}`, `http.routers.${defaultName}`, where());
    } else {
      config.errors.push({
        provider: o.provider,
        item: `container ${c.name}`,
        field: '',
        message: `defines several services (${serviceNames.join(', ')}) and no router, so no default router is made; add ${o.prefix}.http.routers.<name>.rule and .service labels`,
      });
    }
  }
  for (const [name, router] of Object.entries(routers)) {
    if (!isObject(router)) continue; // validation reports it, with its label
    const r: Record<string, unknown> = { ...router };
    const item = `http.routers.${name}`;
    if (r['rule'] === undefined) {
      r['rule'] = renderDefaultRule(o.defaultRule, defaultName);
      addOrigin(item, `${item}.rule`, `${where()}: defaultRule`);
    }
    if (r['service'] === undefined) {
      if (serviceNames.length !== 1) {
        config.errors.push({
          provider: o.provider,
          item: `router ${name}@${o.provider}`,
          field: 'service',
          message: `the container defines several services (${serviceNames.join(', ')}); say which with label ${o.prefix}.http.routers.${name}.service`,
          origin: where(),
        });
        delete routers[name];
        continue;
      }
      r['service'] = serviceNames[0];
      addOrigin(item, `${item}.service`, where());
    }
    routers[name] = r;
  }

  const host = containerHost(c, networkLabel?.value.trim() ?? o.network, o.hostAddress);
  if (!host.ok) return broken(`container ${c.name}`, '', host.problem, networkLabel);
  for (const service of serviceNames) {
    const fields = serverLabels.get(service);
    const base = `${o.prefix}.http.services.${service}.loadBalancer.server`;
    const item = `service ${service}@${o.provider}`;
    const portLabel = fields?.get('port');
    let port: number;
    if (portLabel) {
      const v = portLabel.value.trim();
      port = /^\d+$/.test(v) ? Number(v) : NaN;
      if (!(port >= 1 && port <= 65535)) return broken(item, 'loadBalancer.server.port', `expected a port number 1-65535, got ${JSON.stringify(portLabel.value)}`, portLabel);
    } else {
      const exposed = exposedPort(c);
      if (!exposed.ok) return broken(item, 'loadBalancer.server.port', `no port: the container ${exposed.problem}; add label ${base}.port`);
      port = exposed.value;
    }
    const schemeLabel = fields?.get('scheme');
    const scheme = (schemeLabel?.value ?? 'http').trim().toLowerCase();
    if (scheme !== 'http' && scheme !== 'https') return broken(item, 'loadBalancer.server.scheme', `expected http or https, got ${JSON.stringify(schemeLabel!.value)}`, schemeLabel);
    const weightLabel = fields?.get('weight');
    if (weightLabel && !/^\d+$/.test(weightLabel.value.trim())) {
      return broken(item, 'loadBalancer.server.weight', `expected a whole number ≥ 0, got ${JSON.stringify(weightLabel.value)}`, weightLabel);
    }
    config.servers[service] = {
      url: `${scheme}://${host.value}:${port}`,
      urlOrigin: where(portLabel),
      ...(weightLabel ? { weight: weightLabel.value.trim(), weightOrigin: where(weightLabel) } : {}),
    };
  }
  config.routers = routers;
  config.services = services;
  return { kind: 'config', config };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
