import { readFileSync } from 'node:fs';

/** TLS settings of a KV provider (Traefik's shape): PEM file paths. */
export interface KvTlsOptions {
  ca?: string;
  cert?: string;
  key?: string;
  insecureSkipVerify?: boolean;
}

export interface KvTlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  insecureSkipVerify: boolean;
}

/** Reads the PEM files once, at start; an unreadable file fails the start with its field and path. */
export function loadTls(provider: string, tls: KvTlsOptions): KvTlsMaterial {
  const read = (field: 'ca' | 'cert' | 'key'): Buffer | undefined => {
    const file = tls[field];
    if (file === undefined) return undefined;
    try {
      return readFileSync(file);
    } catch (err) {
      throw new Error(`providers.${provider}.tls.${field}: cannot read ${file}: ${(err as Error).message}`);
    }
  };
  const ca = read('ca');
  const cert = read('cert');
  const key = read('key');
  return { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}), insecureSkipVerify: tls.insecureSkipVerify ?? false };
}
