// Caddy as a competitor LB: reverse_proxy round robin over the same upstreams, plain HTTP, admin
// endpoint off, keep-alive to the upstreams with as many idle connections as wrk has (64, like the
// nginx LB's `keepalive 64`). Caddy's home, config and data folders are redirected into the temp
// folder so nothing is written to the user's. Go uses every CPU (GOMAXPROCS default), as users run it.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { HOST, startProcess, waitForHttp, which } from './processes.mjs';

export async function startCaddy(dir, port, backendPorts) {
  const bin = which('caddy');
  if (!bin) return { skipped: 'caddy not installed (apt-get install -y caddy)' };
  const home = path.join(dir, 'caddy-home');
  mkdirSync(home, { recursive: true });
  const file = path.join(dir, 'Caddyfile');
  writeFileSync(
    file,
    `{
  admin off
  auto_https off
  log {
    level ERROR
  }
}

http://:${port} {
  bind ${HOST}
  reverse_proxy ${backendPorts.map((p) => `${HOST}:${p}`).join(' ')} {
    lb_policy round_robin
    transport http {
      keepalive 120s
      keepalive_idle_conns_per_host 64
    }
  }
}
`,
  );
  const env = { HOME: home, XDG_CONFIG_HOME: path.join(home, 'config'), XDG_DATA_HOME: path.join(home, 'data') };
  const child = startProcess('caddy', bin, ['run', '--config', file, '--adapter', 'caddyfile'], { env });
  await waitForHttp(`http://${HOST}:${port}/`, { child });
  return { url: `http://${HOST}:${port}/` };
}
