import net from 'node:net';

/** A loopback TCP relay that a test can cut (a network outage with the server still up) and restore. */
export interface TcpProxy {
  port: number;
  /** `127.0.0.1:PORT` */
  endpoint: string;
  /** Drops every relayed connection and resets new ones until restore(). */
  cut(): void;
  restore(): void;
  /** Holds every byte in both directions (a stalled network) until unpause(); nothing is closed. */
  pause(): void;
  unpause(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<net.Socket>();
  let isCut = false;
  let isPaused = false;
  const server = net.createServer((client) => {
    if (isCut) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(targetPort, '127.0.0.1');
    pairs.add(client);
    pairs.add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      pairs.delete(client);
      pairs.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
    if (isPaused) {
      client.pause();
      upstream.pause();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    endpoint: `127.0.0.1:${port}`,
    cut: () => {
      isCut = true;
      for (const s of pairs) s.resetAndDestroy();
      pairs.clear();
    },
    restore: () => {
      isCut = false;
    },
    pause: () => {
      isPaused = true;
      for (const s of pairs) s.pause();
    },
    unpause: () => {
      isPaused = false;
      for (const s of pairs) s.resume();
    },
    close: async () => {
      for (const s of pairs) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
