// HAProxy as a competitor LB, configured like the nginx LB: one thread, round robin, keep-alive to
// clients and idle upstream connections shared between them (`http-reuse always`). Foreground (-db),
// config and pid in the temp folder, no logging, no stats socket. maxconn stays at 4096: HAProxy sizes
// its open-files limit from it and refuses to start if it cannot raise it (20,000 on the dev VM).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { HOST, startProcess, waitForHttp, which } from './processes.mjs';

export async function startHaproxy(dir, port, backendPorts) {
  const bin = which('haproxy');
  if (!bin) return { skipped: 'haproxy not installed (apt-get install -y haproxy)' };
  const file = path.join(dir, 'haproxy.cfg');
  writeFileSync(
    file,
    `global
  nbthread 1
  maxconn 4096
  pidfile ${dir}/haproxy.pid

defaults
  mode http
  option http-keep-alive
  http-reuse always
  timeout connect 5s
  timeout client 120s
  timeout server 120s
  timeout http-keep-alive 120s

frontend bench
  bind ${HOST}:${port}
  default_backend pool

backend pool
  balance roundrobin
${backendPorts.map((p, i) => `  server s${i} ${HOST}:${p}`).join('\n')}
`,
  );
  const child = startProcess('haproxy', bin, ['-db', '-f', file]);
  await waitForHttp(`http://${HOST}:${port}/`, { child });
  return { url: `http://${HOST}:${port}/` };
}
