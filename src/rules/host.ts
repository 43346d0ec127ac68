/**
 * The spellings of a Host() value that `req.host` can take: lower-cased, port stripped.
 * IPv6 literals yield both the bracketed and the bare form because callers differ on which
 * they keep once the port is gone. Throws a plain Error with the reason on malformed values.
 */
export function hostForms(value: string): string[] {
  const host = value.trim().toLowerCase();
  if (host === '') throw new Error('host must not be empty');

  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    if (close === -1) throw new Error(`host ${JSON.stringify(value)} is missing "]"`);
    const rest = host.slice(close + 1);
    if (rest !== '' && !/^:\d+$/.test(rest)) throw new Error(`unexpected ${JSON.stringify(rest)} after "]" in host ${JSON.stringify(value)}`);
    const bare = host.slice(1, close);
    return [`[${bare}]`, bare];
  }

  const firstColon = host.indexOf(':');
  if (firstColon !== -1 && firstColon !== host.lastIndexOf(':')) return [host, `[${host}]`];

  const name = firstColon === -1 ? host : host.slice(0, firstColon);
  if (name === '') throw new Error(`host ${JSON.stringify(value)} has a port but no name`);
  if (name.includes('*') && !(name.startsWith('*.') && name.lastIndexOf('*') === 0 && name.length > 2)) {
    throw new Error(`wildcard in ${JSON.stringify(value)} must be a whole first label, like *.example.com`);
  }
  return [name];
}

export const isWildcard = (host: string): boolean => host.startsWith('*.');
