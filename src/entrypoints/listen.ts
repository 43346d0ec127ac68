import type { AddressInfo, Server } from 'node:net';
import { parseListenAddress } from '../config/address.js';

/** Binds `server` to a validated `host:port` address; rejects with the bind error (EADDRINUSE …). */
export async function listenOn(server: Server, address: string): Promise<AddressInfo> {
  const addr = parseListenAddress(address);
  if (!addr) throw new Error(`not a listen address: ${JSON.stringify(address)}`);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(addr.port, addr.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server.address() as AddressInfo;
}
