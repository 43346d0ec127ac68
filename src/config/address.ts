/** A listen address: `127.0.0.1:8080`, `[::1]:8080`, `:8080` (every interface), `localhost:0`. */
export interface ListenAddress {
  host: string | undefined;
  port: number;
}

export function parseListenAddress(text: string): ListenAddress | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]*)):(\d{1,5})$/.exec(text.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  const host = m[1] ?? m[2];
  return { host: host === '' ? undefined : host, port };
}
