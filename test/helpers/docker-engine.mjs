// A private Docker engine for tests and benchmarks: its own dockerd on a socket in a throwaway
// folder (never the system's /var/run/docker.sock), a tiny busybox image imported from Debian's
// busybox-static (never pulled: there is no registry), containers on the host network.
// Plain JavaScript so bench/docker.mjs can use it too; types in docker-engine.d.mts.
import { spawn } from 'node:child_process';
import { accessSync, constants, openSync, readSync, closeSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { findBinary } from './find-binary.mjs';

export const BUSYBOX_IMAGE = 'switchyard-test/busybox:latest';
const INSTALL = 'apt-get install -y --no-install-recommends docker.io busybox-static';
const BUSYBOX_APPLETS = ['sh', 'httpd', 'sleep', 'true', 'false', 'wget', 'cat', 'echo', 'test', 'touch', 'rm', 'mkdir'];

/** dockerd processes still running, killed if the process exits without stopping them. */
const running = new Set();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function missing(what, why) {
  return new Error(
    `${what} ${why}, and the Docker provider tests need it: run \`${INSTALL}\` (Debian/Ubuntu, as root), ` +
      'or `bash scripts/setup-and-test.sh`, which installs it and runs the whole suite',
  );
}

/** Absolute path of dockerd; a clear, actionable error when it is missing (never a silent skip). */
export function requireDockerd() {
  const bin = findBinary('dockerd');
  if (!bin) throw missing('dockerd', 'is not installed');
  if (!findBinary('docker-init')) throw missing('docker-init (tini, for --init)', 'is not installed');
  if (process.getuid?.() !== 0) {
    throw new Error('the Docker provider tests start a private dockerd, which needs root: run the test suite as root (as CI does), e.g. `sudo bash scripts/setup-and-test.sh`');
  }
  return bin;
}

/** True when the ELF file at `file` asks for no dynamic loader (it can run in an empty image). */
function isStaticElf(file) {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(64);
    readSync(fd, head, 0, 64, 0);
    if (head.readUInt32BE(0) !== 0x7f454c46 || head[4] !== 2) return false;
    const phoff = Number(head.readBigUInt64LE(32));
    const phentsize = head.readUInt16LE(54);
    const phnum = head.readUInt16LE(56);
    const table = Buffer.alloc(phentsize * phnum);
    readSync(fd, table, 0, table.length, phoff);
    for (let i = 0; i < phnum; i++) if (table.readUInt32LE(i * phentsize) === 3 /* PT_INTERP */) return false;
    return true;
  } finally {
    closeSync(fd);
  }
}

/** The statically linked busybox of Debian's busybox-static package. */
export function requireStaticBusybox() {
  const bin = ['/bin/busybox', '/usr/bin/busybox'].find((f) => {
    try {
      accessSync(f, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  if (!bin) throw missing('busybox (static)', 'is not installed');
  if (!isStaticElf(bin)) throw missing(`${bin}`, 'is the dynamically linked busybox, which cannot run in an empty image');
  return bin;
}

async function waitUntil(check, what, timeoutMs, child, output) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      throw new Error(`${what}: dockerd exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${output().slice(-3000)}`);
    }
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms${output ? `:\n${output().slice(-3000)}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every mount point at or below `dir`, deepest first. */
function mountsUnder(dir) {
  let text = '';
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const points = text
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p) => p && (p === dir || p.startsWith(`${dir}/`)))
    .map((p) => p.replace(/\\040/g, ' '));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

function run(bin, args) {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { stdio: 'ignore' });
    child.once('error', () => resolve(1));
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

class DockerEngine {
  constructor(bin, root) {
    this.bin = bin;
    this.root = root;
    this.socket = path.join(root, 'docker.sock');
    this.proc = undefined;
    this.output = '';
    // One namespace per engine, in case dockerd finds a system containerd and shares it.
    this.namespace = `sy-${path.basename(root).replace(/[^a-zA-Z0-9]/g, '')}`;
    this.docker = new Docker({ socketPath: this.socket, host: undefined });
  }

  /** `unix:///…/docker.sock`: what providers.docker.endpoint takes. */
  get endpoint() {
    return `unix://${this.socket}`;
  }

  /** Starts dockerd on `socket` (its own by default) and waits until it answers /_ping. */
  async start(socket = this.socket) {
    const args = [
      '--host', `unix://${socket}`,
      '--data-root', path.join(this.root, 'data'),
      '--exec-root', path.join(this.root, 'exec'),
      '--pidfile', path.join(this.root, 'docker.pid'),
      '--config-file', path.join(this.root, 'daemon.json'),
      '--containerd-namespace', this.namespace,
      '--containerd-plugins-namespace', `${this.namespace}-plugins`,
      '--bridge=none', '--iptables=false', '--ip6tables=false', '--ip-forward=false', '--ip-masq=false',
      '--userland-proxy=false', '--log-level', 'warn',
    ];
    const child = spawn(this.bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DOCKER_HOST: '' } });
    running.add(child);
    child.once('exit', () => running.delete(child));
    const collect = (chunk) => {
      this.output += chunk.toString();
      if (this.output.length > 40_000) this.output = this.output.slice(-20_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', (err) => collect(`spawn error: ${err.message}\n`));
    this.proc = child;
    const client = socket === this.socket ? this.docker : new Docker({ socketPath: socket, host: undefined });
    await waitUntil(() => client.ping().then(() => true), `dockerd on ${socket} did not answer /_ping`, 30_000, child, () => this.output);
    return client;
  }

  /** SIGTERM dockerd and wait for it to exit (it stops every container first). */
  async stop() {
    const child = this.proc;
    this.proc = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }

  /**
   * Stops the engine and starts it again on the same socket and data. With `prepare`, the engine
   * first runs on a side socket that no client knows, where `prepare(docker)` changes containers;
   * so when the real socket answers again, the changes are already there (containers with restart
   * policy `always` are started by dockerd before it serves the API).
   */
  async restart(prepare) {
    await this.stop();
    if (prepare) {
      const side = path.join(this.root, 'side.sock');
      const client = await this.start(side);
      await prepare(client);
      await this.stop();
    }
    await this.start();
  }

  /** Imports the busybox image (once per engine) from a rootfs tarball: no registry involved. */
  async importBusybox() {
    if (this.imported) return BUSYBOX_IMAGE;
    const busybox = requireStaticBusybox();
    const rootfs = path.join(this.root, 'rootfs');
    await mkdir(path.join(rootfs, 'bin'), { recursive: true });
    await mkdir(path.join(rootfs, 'tmp'), { recursive: true });
    await copyFile(busybox, path.join(rootfs, 'bin', 'busybox'));
    for (const applet of BUSYBOX_APPLETS) await symlink('busybox', path.join(rootfs, 'bin', applet)).catch(() => undefined);
    const tar = spawn('tar', ['-C', rootfs, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [repo, tag] = BUSYBOX_IMAGE.split(':');
    const stream = await this.docker.importImage(tar.stdout, { repo, tag });
    await new Promise((resolve, reject) => this.docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve())));
    await this.docker.getImage(BUSYBOX_IMAGE).inspect();
    this.imported = true;
    return BUSYBOX_IMAGE;
  }

  /** Stops the engine, unmounts whatever it left below its folder, and removes the folder. */
  async destroy() {
    await this.stop();
    for (const point of mountsUnder(this.root)) await run('umount', ['-l', point]);
    await rm(this.root, { recursive: true, force: true }).catch(async () => {
      // A mount released lazily can take a moment.
      await new Promise((r) => setTimeout(r, 200));
      await rm(this.root, { recursive: true, force: true });
    });
  }
}

/** Starts a private dockerd in a fresh folder below the temp dir, with the busybox image imported. */
export async function startDockerEngine() {
  const bin = requireDockerd();
  requireStaticBusybox();
  const root = await mkdtemp(path.join(os.tmpdir(), 'sy-docker-'));
  await writeFile(path.join(root, 'daemon.json'), '{}\n');
  const engine = new DockerEngine(bin, root);
  try {
    await engine.start();
    await engine.importBusybox();
  } catch (err) {
    await engine.destroy().catch(() => undefined);
    throw err;
  }
  return engine;
}

/** A loopback port that was free a moment ago (bound to 0, then released). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Creates (and by default starts) a container of the busybox image on the host network, with
 * --init so it stops at once. Creating through the API never pulls an image.
 */
export async function runContainer(docker, options) {
  const { name, labels = {}, cmd = ['sleep', '86400'], expose = [], health, restartAlways = false, start = true } = options;
  const container = await docker.createContainer({
    Image: BUSYBOX_IMAGE,
    name,
    Cmd: cmd,
    Labels: labels,
    ExposedPorts: Object.fromEntries(expose.map((p) => [`${p}/tcp`, {}])),
    ...(health
      ? {
          Healthcheck: {
            Test: ['CMD-SHELL', health.cmd],
            Interval: Math.round(health.intervalMs * 1e6),
            Timeout: Math.round((health.timeoutMs ?? 2_000) * 1e6),
            Retries: health.retries ?? 1,
          },
        }
      : {}),
    HostConfig: { NetworkMode: 'host', Init: true, RestartPolicy: { Name: restartAlways ? 'always' : 'no' } },
  });
  if (start) await container.start();
  return container;
}

/** busybox httpd on 127.0.0.1:`port` (host network) answering `body` at `path` (`/` or one segment such as `/app`). */
export function httpdCommand(port, body, path = '/') {
  return ['sh', '-c', `${writePage(body, path)} && exec ${httpd(port)}`];
}

/**
 * httpdCommand's server, stopping as a well-behaved service does: on SIGTERM (`docker stop`; the
 * container's init passes it to this shell) it keeps serving for `graceMs`, then ends. busybox
 * httpd itself dies at once, and the container's other processes with it: a response it was in
 * the middle of is cut, which no proxy can hide.
 */
export function gracefulHttpdCommand(port, body, path = '/', graceMs = 2000) {
  // Whole seconds: not every busybox build's sleep takes fractions.
  const grace = Math.max(1, Math.round(graceMs / 1000));
  return ['sh', '-c', `${writePage(body, path)} || exit 1; ${httpd(port)} & pid=$!; trap "sleep ${grace}; kill $pid; exit 0" TERM; wait $pid`];
}

/** The shell command that writes the page httpd serves at `path`. */
function writePage(body, path) {
  const file = path === '/' ? '/www/index.html' : `/www${path}`;
  return `mkdir -p /www && echo -n '${body}' > ${file}`;
}

const httpd = (port) => `httpd -f -p 127.0.0.1:${port} -h /www`;

/** Removes a container (killing it if it runs); one already gone is fine. */
export async function removeContainer(docker, idOrName) {
  try {
    await docker.getContainer(idOrName).remove({ force: true });
  } catch (err) {
    if (err.statusCode !== 404) throw err;
  }
}

/** Removes every container carrying label `key` (with `value`, when given). */
export async function removeLabelled(docker, key, value) {
  const list = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [value === undefined ? key : `${key}=${value}`] }) });
  await Promise.all(list.map((c) => removeContainer(docker, c.Id)));
}
