import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseStaticConfig, StaticConfigError } from '../../../src/config/static-load.js';

const FILE = '/etc/switchyard/switchyard.yaml';

function problems(text: string): string[] {
  try {
    parseStaticConfig(text, FILE);
  } catch (err) {
    if (err instanceof StaticConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected the config to be rejected');
}

describe('static config', () => {
  it('fills defaults and resolves paths against the config file folder', () => {
    const { config } = parseStaticConfig(
      'entryPoints:\n  web:\n    address: 127.0.0.1:8080\nproviders:\n  file:\n    directory: ./dynamic\n',
      FILE,
    );
    expect(config.providers.file).toEqual({ directory: path.resolve('/etc/switchyard/dynamic'), watch: true });
    expect(config.providers.debounce).toBe(10);
    expect(config.entryPoints['web']!.forwardedHeaders).toEqual({ trustedIPs: [], insecure: false });
    expect(config.entryPoints['web']!.transport.lifeCycle.graceTimeout).toBe(10_000);
    expect(config.serversTransport.forwardingTimeouts).toEqual({ dialTimeout: 30_000, responseHeaderTimeout: 0, idleConnTimeout: 90_000 });
    expect(config.log.level).toBe('info');
  });

  it('resolves providers\' TLS files against the config file folder too', () => {
    const { config } = parseStaticConfig(
      'entryPoints: {web: {address: ":80"}}\nproviders:\n  redis: {endpoints: ["127.0.0.1:6379"], tls: {ca: certs/ca.pem, cert: /abs/c.pem, key: certs/k.pem}}\n',
      FILE,
    );
    expect(config.providers.redis!.tls).toMatchObject({ ca: '/etc/switchyard/certs/ca.pem', cert: '/abs/c.pem', key: '/etc/switchyard/certs/k.pem' });
  });

  it('parses durations', () => {
    const { config } = parseStaticConfig(
      'entryPoints: {web: {address: ":80", transport: {lifeCycle: {graceTimeout: 1m30s}}}}\nserversTransport: {forwardingTimeouts: {responseHeaderTimeout: 500ms, dialTimeout: 250}}\n',
      FILE,
    );
    expect(config.entryPoints['web']!.transport.lifeCycle.graceTimeout).toBe(90_000);
    expect(config.serversTransport.forwardingTimeouts.responseHeaderTimeout).toBe(500);
    expect(config.serversTransport.forwardingTimeouts.dialTimeout).toBe(250);
  });

  it.each([
    ['entryPoints:\n  web:\n    address: 8080\n', /line 3: entryPoints\.web\.address: .*expected string/i],
    ['entryPoints:\n  web:\n    address: localhost\n', /entryPoints\.web\.address: expected host:port/],
    ['entryPoints:\n  web:\n    address: 127.0.0.1:70000\n', /expected host:port/],
    ['entryPoints: {}\n', /define at least one entry point/],
    ['entryPoints:\n  web: {address: ":80", forwardedHeaders: {trustedIPs: [10.0.0.0/33]}}\n', /forwardedHeaders\.trustedIPs\[0\]: expected an IP address or CIDR/],
    ['entryPoints: {web: {address: ":80"}}\nproviders: {file: {}}\n', /providers\.file: set exactly one of directory .* or filename/],
    ['entryPoints: {web: {address: ":80"}}\nproviders: {file: {directory: a, filename: b}}\n', /set exactly one/],
    ['entryPoints: {web: {address: ":80"}}\nlog: {level: loud}\n', /log\.level: /],
    ['entryPoints: {web: {address: ":80"}}\nentrypoints: {}\n', /unknown field "entrypoints"/],
    ['entryPoints: {web: {address: ":80"}}\nserversTransport: {forwardingTimeouts: {dialTimeout: soon}}\n', /dialTimeout: expected a duration like 500ms/],
    ['entryPoints:\n  web: [\n', /line \d+, column \d+: YAML syntax error/],
    ['entryPoints: {web: {address: ":80"}}\nentryPoints: {}\n', /line 2, column \d+: YAML syntax error: duplicated mapping key/],
  ])('rejects %j', (text, message) => {
    expect(problems(text).join('\n')).toMatch(message);
  });

  it('lists every problem, not just the first', () => {
    expect(problems('entryPoints:\n  web: {address: nope}\nlog: {level: loud}\nextra: 1\n')).toHaveLength(3);
  });
  it('accessLog: absent = none; `accessLog:` alone = stdout, common, 100 lines; a relative file belongs to the config folder', () => {
    expect(parseStaticConfig('entryPoints: {web: {address: ":80"}}\n', '/etc/sy/s.yaml').config.accessLog).toBeUndefined();
    expect(parseStaticConfig('entryPoints: {web: {address: ":80"}}\naccessLog:\n', '/etc/sy/s.yaml').config.accessLog).toEqual({ format: 'common', bufferingSize: 100 });
    const { config } = parseStaticConfig('entryPoints: {web: {address: ":80"}}\naccessLog: {filePath: logs/a.log, format: json, bufferingSize: 0}\n', '/etc/sy/s.yaml');
    expect(config.accessLog).toEqual({ filePath: '/etc/sy/logs/a.log', format: 'json', bufferingSize: 0 });
  });

  it('accessLog: a format it does not know is an error naming the field', () => {
    expect(() => parseStaticConfig('entryPoints: {web: {address: ":80"}}\naccessLog: {format: xml}\n', '/etc/sy/s.yaml')).toThrow(/line 2: accessLog\.format: /);
  });
});
