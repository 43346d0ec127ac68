import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { HealthCheckConfig } from '../config/dynamic-config.js';
import type { CheckResult } from '../runtime/server-state.js';

/**
 * One active check of one server: an HTTP request (fresh connection, so a broken pool never
 * hides a dead server) or a TCP connect. Never throws; the result says what happened.
 */
export function probe(serverUrl: string, check: HealthCheckConfig, now: () => number = Date.now): Promise<CheckResult> {
  const url = new URL(serverUrl);
  const port = check.port ?? (url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return check.mode === 'tcp' ? probeTcp(host, port, check.timeout, now) : probeHttp(url, host, port, check, now);
}

function probeTcp(host: string, port: number, timeout: number, now: () => number): Promise<CheckResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean, detail: string): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ time: now(), ok, detail });
    };
    const timer = setTimeout(() => setImmediate(() => done(false, `timeout after ${timeout} ms`)), timeout);
    socket.once('connect', () => done(true, 'connected'));
    socket.once('error', (err: NodeJS.ErrnoException) => done(false, err.code ?? err.message));
  });
}

function probeHttp(url: URL, host: string, port: number, check: HealthCheckConfig, now: () => number): Promise<CheckResult> {
  return new Promise((resolve) => {
    const base = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
    const client = url.protocol === 'https:' ? https : http;
    let settled = false;
    const done = (ok: boolean, detail: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve({ time: now(), ok, detail });
    };
    const req = client.request({
      host,
      port,
      method: check.method,
      path: `${base}${check.path}`,
      agent: false,
      headers: { ...check.headers, host: check.hostname ?? url.host, 'user-agent': 'switchyard-health-check', connection: 'close' },
    });
    // One deadline for connect + response headers + body. When it fires, let pending I/O run
    // first (setImmediate): on a busy event loop an answer that already arrived must not count
    // as a timeout.
    const timer = setTimeout(() => setImmediate(() => done(false, `timeout after ${check.timeout} ms`)), check.timeout);
    req.once('response', (res) => {
      const status = res.statusCode ?? 0;
      const ok = check.status !== undefined ? status === check.status : status >= 200 && status < 400;
      res.resume();
      res.once('end', () => done(ok, `status ${status}`));
      res.once('error', () => done(ok, `status ${status}`));
    });
    req.once('error', (err: NodeJS.ErrnoException) => done(false, err.code ?? err.message));
    req.end();
  });
}
