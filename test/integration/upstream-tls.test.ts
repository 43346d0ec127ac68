import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../helpers/http-client.js';
import { waitFor } from '../helpers/wait.js';

/**
 * https:// servers: the certificate must be trusted (Node's CA list plus NODE_EXTRA_CA_CERTS)
 * and name the host the request is for, as with Node's https.Agent. The proxy runs as the
 * built CLI, so that the test CA can be trusted the way a user would do it.
 */

const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

let dir: string;
const servers: https.Server[] = [];
let child: ReturnType<typeof spawn> | undefined;
let url: string;

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

/** A key and certificate for `names`, signed by the test CA (or by itself). */
async function certificate(name: string, names: string[], signedBy: 'ca' | 'self'): Promise<{ key: Buffer; cert: Buffer }> {
  const san = `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`;
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`];
  if (signedBy === 'self') {
    openssl(['req', '-x509', ...key, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${names[0]}`, '-addext', san]);
  } else {
    openssl(['req', ...key, '-out', `${name}.csr`, '-subj', `/CN=${names[0]}`]);
    await writeFile(path.join(dir, `${name}.ext`), `${san}\n`);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`]);
  }
  return { key: await readFile(path.join(dir, `${name}.key`)), cert: await readFile(path.join(dir, `${name}.pem`)) };
}

/** An https server answering with the SNI name it was reached by. */
async function tlsBackend(tls: { key: Buffer; cert: Buffer }): Promise<string> {
  const server = https.createServer(tls, (req, res) => {
    req.resume();
    res.end(`tls:${(req.socket as TLSSocket).servername}`);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sy-tls-'));
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=switchyard test CA']);
  const trusted = await tlsBackend(await certificate('trusted', ['app.test', 'other-name.test'], 'ca'));
  const untrusted = await tlsBackend(await certificate('untrusted', ['self.test'], 'self'));
  await writeFile(path.join(dir, 'sy.yaml'), 'entryPoints:\n  web:\n    address: 127.0.0.1:0\nproviders:\n  file:\n    filename: ./app.yaml\n');
  await writeFile(
    path.join(dir, 'app.yaml'),
    [
      'http:',
      '  routers:',
      '    trusted: {rule: "Host(`app.test`) || Host(`wrong.test`)", service: trusted}',
      '    untrusted: {rule: "Host(`self.test`)", service: untrusted}',
      '  services:',
      `    trusted: {loadBalancer: {servers: [{url: "${trusted}"}]}}`,
      `    untrusted: {loadBalancer: {servers: [{url: "${untrusted}"}]}}`,
      '',
    ].join('\n'),
  );
  child = spawn(process.execPath, [CLI, '-c', path.join(dir, 'sy.yaml')], {
    cwd: dir,
    env: { ...process.env, NODE_EXTRA_CA_CERTS: path.join(dir, 'ca.pem') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const listening = await waitFor(() => /"entryPoint":"web","address":"127\.0\.0\.1:(\d+)"/.exec(out), 'the entry point to listen', 10_000);
  url = `http://127.0.0.1:${listening[1]}`;
});

afterAll(async () => {
  child?.kill('SIGKILL');
  for (const s of servers) s.close();
  await rm(dir, { recursive: true, force: true });
});

describe('https servers', () => {
  it('are reached over TLS with the Host as SNI when their certificate is trusted and names it', async () => {
    const reply = await request(url, { agent: false, headers: { host: 'app.test' } });
    expect(reply).toMatchObject({ status: 200, body: 'tls:app.test' });
  });

  it('get no request when their certificate does not name the Host (502)', async () => {
    expect((await request(url, { agent: false, headers: { host: 'wrong.test' } })).status).toBe(502);
  });

  it('get no request when their certificate is not trusted (502)', async () => {
    expect((await request(url, { agent: false, headers: { host: 'self.test' } })).status).toBe(502);
  });
});
