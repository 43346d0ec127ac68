// The benchmark's HTTP backends: three ports answering a 3-byte body `ok\n`. nginx (1 worker)
// when installed — it is faster than any proxy in front of it, so the proxy is what is measured;
// else one Node process per port (bench/backend.mjs).
import path from 'node:path';
import { benchDir, freePorts, HOST, startProcess, waitForHttp, which } from './processes.mjs';
import { startNginxBackends } from './nginx.mjs';

export async function startBackends(dir, count = 3) {
  const ports = await freePorts(count);
  if (which('nginx')) {
    await startNginxBackends(dir, ports);
    return { ports, kind: 'nginx (1 worker, 3-byte body)' };
  }
  for (const port of ports) {
    const child = startProcess('backend', process.execPath, [path.join(benchDir, 'backend.mjs'), String(port)]);
    await waitForHttp(`http://${HOST}:${port}/`, { child });
  }
  return { ports, kind: 'Node http, one process per port (3-byte body; nginx not installed)' };
}
