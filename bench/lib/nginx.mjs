// nginx from a temp folder (-p/-e, pid, logs and temp paths inside it; nothing in /etc/nginx or
// /var/log/nginx is used), one worker: as the benchmark's backends and as a competitor LB.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { HOST, startProcess, waitForHttp, which } from './processes.mjs';

/** One nginx answering `ok\n` (3 bytes) on each of `ports`. */
export async function startNginxBackends(dir, ports) {
  const servers = ports.map((p) => `  server { listen ${HOST}:${p}; location / { default_type text/plain; return 200 "ok\\n"; } }`);
  await startNginx(dir, 'backends', servers.join('\n'), ports);
}

/**
 * nginx as a load balancer: round robin over `backendPorts`, upstream keep-alive, HTTP/1.1
 * upstream; `workers` worker processes (nginx's `auto` is one per CPU).
 */
export async function startNginxLb(dir, port, backendPorts, { workers = 1, name = 'lb' } = {}) {
  if (!which('nginx')) return { skipped: 'nginx not installed (apt-get install -y nginx)' };
  await startNginx(
    dir,
    name,
    `  upstream pool {
${backendPorts.map((p) => `    server ${HOST}:${p};`).join('\n')}
    keepalive 64;
    keepalive_requests 10000000;
  }
  server {
    listen ${HOST}:${port};
    location / {
      proxy_pass http://pool;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }`,
    [port],
    workers,
  );
  return { url: `http://${HOST}:${port}/` };
}

async function startNginx(dir, name, servers, ports, workers = 1) {
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `${k}_temp_path ${dir}/nginx-${name}-${k};`).join(' ');
  const file = path.join(dir, `nginx-${name}.conf`);
  writeFileSync(
    file,
    `worker_processes ${workers};
pid ${dir}/nginx-${name}.pid;
error_log ${dir}/nginx-${name}-error.log warn;
events { worker_connections 16384; }
http {
  access_log off;
  ${temp}
  keepalive_requests 10000000;
  keepalive_timeout 120s;
${servers}
}
`,
  );
  const child = startProcess(`nginx-${name}`, which('nginx'), ['-p', `${dir}/`, '-e', path.join(dir, `nginx-${name}-error.log`), '-c', file, '-g', 'daemon off;']);
  await Promise.all(ports.map((p) => waitForHttp(`http://${HOST}:${p}/`, { child })));
  return child;
}
