// Child processes, temp folders, free ports and clean-up shared by every benchmark part.
// Every child runs in its own process group so it (and anything it forks: nginx workers,
// switchyard workers) is stopped with it — at the end, on error and on Ctrl-C.
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const HOST = '127.0.0.1';
export const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const root = path.resolve(benchDir, '..');

const children = new Set();
const tempDirs = new Set();
let stopping;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A logger for progress lines on stderr (stdout is kept for results). */
export const logger = (tag) => (msg) => process.stderr.write(`[${tag}] ${msg}\n`);

/** A throwaway folder, removed by stopAll(). */
export function tempDir(prefix) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  tempDirs.add(dir);
  return dir;
}

/**
 * Starts a long-running child in its own process group. `child.output` keeps the last 4 kB of its
 * stdout+stderr for error messages; `child.exited` resolves with { code, signal }.
 */
export function startProcess(name, cmd, args, { cwd = root, env, echo = false, stdin = 'ignore' } = {}) {
  const child = spawn(cmd, args, { cwd, env: env ? { ...process.env, ...env } : process.env, stdio: [stdin, 'pipe', 'pipe'], detached: true });
  child.label = name;
  child.output = '';
  const collect = (chunk) => {
    child.output = (child.output + chunk).slice(-4000);
    if (echo) process.stderr.write(String(chunk).replace(/^(?=.)/gm, `[${name}] `));
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.once('error', (err) => (child.output += `\n${err.message}`));
  children.add(child);
  child.exited.then(() => children.delete(child));
  return child;
}

/**
 * [cmd, args] that run `cmd args` through bash with the open-files limit raised as far as allowed
 * (65536, else the hard limit): 10,000 WebSockets need ~20,000 descriptors in the proxy.
 */
export function withMoreFiles(cmd, args) {
  return ['bash', ['-c', 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"', cmd, ...args]];
}

/** The open-files limit of a running process (from /proc/PID/limits). */
export function openFilesLimit(pid) {
  return Number(/Max open files\s+(\d+)/.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'))?.[1]);
}

/** Runs a command to completion; returns its stdout, throws with its output on a non-zero exit. */
export async function runToEnd(name, cmd, args, { timeoutMs = 60_000, cwd, env } = {}) {
  const child = startProcess(name, cmd, args, { cwd, env });
  let stdout = '';
  child.stdout.on('data', (c) => (stdout += c));
  const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), timeoutMs);
  const { code, signal } = await child.exited;
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${name} failed (${signal ?? `exit ${code}`}):\n${child.output}`);
  return stdout;
}

/** SIGTERM the child's group; SIGKILL it if it is still there after 5 s. */
export async function stopProcess(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  signalGroup(child, 'SIGTERM');
  const force = setTimeout(() => signalGroup(child, 'SIGKILL'), 5000);
  await child.exited;
  clearTimeout(force);
}

export async function stopAll() {
  stopping ??= (async () => {
    await Promise.all([...children].map(stopProcess));
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
    tempDirs.clear();
  })();
  await stopping;
  stopping = undefined;
}

function signalGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {}
  }
}

/**
 * Runs a part's main function: stops every child and removes temp folders afterwards, on failure
 * and on Ctrl-C/SIGTERM; exits 1 on failure with the message (which should say what to do).
 */
export async function runMain(tag, fn) {
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, async () => {
      if (interrupted) return;
      interrupted = true;
      logger(tag)(`${signal}: stopping everything`);
      await stopAll();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
  // Last resort if we die some other way: never leave servers behind.
  process.on('exit', () => {
    for (const c of children) signalGroup(c, 'SIGKILL');
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });
  try {
    await fn();
    await stopAll();
  } catch (err) {
    if (interrupted) await new Promise(() => {}); // the signal handler exits
    logger(tag)(`failed: ${err.stack ?? err}`);
    await stopAll();
    process.exit(1);
  }
}

/** Free ports on 127.0.0.1: bind port 0 (all at once, so they differ), then release. */
export async function freePorts(n) {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise((resolve, reject) => {
      const s = net.createServer();
      s.once('error', reject);
      s.listen(0, HOST, () => resolve(s));
    })),
  );
  const ports = servers.map((s) => s.address().port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** Path of an installed executable (also the sbin folders, where nginx and haproxy live), or undefined. */
export function which(bin) {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    try {
      accessSync(path.join(dir, bin), constants.X_OK);
      return path.join(dir, bin);
    } catch {}
  }
  return undefined;
}

/** Polls `url` (with an optional Host header) until it answers 200; fails early if `child` exits. */
export async function waitForHttp(url, { child, host, timeoutMs = 20_000, intervalMs = 50 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`${child.label} exited (code ${child.exitCode}) before answering ${url}:\n${child.output}`);
    const status = await httpStatus(url, host).catch((err) => err.code ?? err.message);
    if (status === 200) return;
    last = typeof status === 'number' ? `HTTP ${status}` : status;
    await sleep(intervalMs);
  }
  throw new Error(`${child?.label ?? url} not ready after ${timeoutMs / 1000}s (${last}):\n${child?.output ?? ''}`);
}

/** Status of one GET on a fresh connection (fetch cannot set Host, so node:http). */
export async function httpStatus(url, host) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: host ? { host } : {}, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
  });
}
