import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { parseStaticConfig, StaticConfigError } from '../../src/config/static-load.js';
import { createProviders } from '../../providers/create-providers.js';

const FILE = '/etc/switchyard/switchyard.yaml';
const EP = 'entryPoints: {web: {address: ":80"}}\n';

function problems(text: string): string {
  try {
    parseStaticConfig(EP + text, FILE);
  } catch (err) {
    if (err instanceof StaticConfigError) return err.problems.join('\n');
    throw err;
  }
  throw new Error('expected the config to be rejected');
}

describe('static config: providers.redis and providers.etcd', () => {
  it('fills defaults: local endpoint, rootKey switchyard, db 0, poll every second', async () => {
    const { config } = parseStaticConfig(`${EP}providers: {redis: {}, etcd: {}}\n`, FILE);
    expect(config.providers.redis).toEqual({ endpoints: ['127.0.0.1:6379'], rootKey: 'switchyard', db: 0, pollInterval: 1_000 });
    expect(config.providers.etcd).toEqual({ endpoints: ['127.0.0.1:2379'], rootKey: 'switchyard' });
    expect((await createProviders(config)).map((p) => p.name)).toEqual(['redis', 'etcd']);
  });

  it('takes the issue\'s full example, sentinels and TLS', () => {
    const { config } = parseStaticConfig(
      `${EP}providers:\n  redis:\n    endpoints: [10.0.0.1:26379, '[::1]:26379']\n    rootKey: traefik/\n    username: sy\n    password: s3cret\n    db: 2\n` +
        '    sentinel: {masterName: mymaster}\n    pollInterval: 250ms\n    tls: {ca: /etc/ca.pem, cert: /etc/c.pem, key: /etc/k.pem}\n' +
        '  etcd:\n    endpoints: [https://etcd-1:2379, etcd-2:2379]\n    rootKey: /traefik\n    username: root\n    password: pw\n    tls: {ca: /etc/ca.pem}\n',
      FILE,
    );
    expect(config.providers.redis).toMatchObject({ rootKey: 'traefik', db: 2, pollInterval: 250, sentinel: { masterName: 'mymaster' }, tls: { insecureSkipVerify: false } });
    expect(config.providers.etcd).toMatchObject({ endpoints: ['https://etcd-1:2379', 'etcd-2:2379'], rootKey: '/traefik' });
  });

  it.each([
    ['providers: {redis: {endpoints: [localhost]}}\n', /providers\.redis\.endpoints\[0\]: expected host:port such as 127\.0\.0\.1:6379, got "localhost"/],
    ['providers: {redis: {endpoints: ["redis://h:6379"]}}\n', /providers\.redis\.endpoints\[0\]: expected host:port/],
    ['providers: {redis: {endpoints: [a:1, b:2]}}\n', /providers\.redis\.endpoints: without sentinel, give exactly one endpoint/],
    ['providers: {redis: {endpoints: []}}\n', /providers\.redis\.endpoints: give at least one endpoint/],
    ['providers: {redis: {rootKey: "/"}}\n', /providers\.redis\.rootKey: rootKey must name the key prefix/],
    ['providers: {redis: {db: -1}}\n', /providers\.redis\.db: db is a Redis database number/],
    ['providers: {redis: {pollInterval: 1ms}}\n', /pollInterval must be at least 10ms/],
    ['providers: {redis: {tls: {cert: /c.pem}}}\n', /providers\.redis\.tls: a client certificate needs both cert and key/],
    ['providers: {redis: {sentinel: {}}}\n', /providers\.redis\.sentinel\.masterName/],
    ['providers: {redis: {rootkey: x}}\n', /unknown field "rootkey"/],
    ['providers: {etcd: {endpoints: ["etcd:port"]}}\n', /providers\.etcd\.endpoints\[0\]: expected host:port such as 127\.0\.0\.1:2379 \(or http:\/\/127\.0\.0\.1:2379\)/],
    ['providers: {etcd: {tls: {insecureSkipVerify: true}}}\n', /insecureSkipVerify is not supported for etcd/],
    ['providers: {etcd: {password: x}}\n', /providers\.etcd\.username: a password needs a username/],
  ])('rejects %j', (text, message) => {
    expect(problems(text)).toMatch(message);
  });

  it('fails the start with the field and path when a TLS file cannot be read', async () => {
    const { config } = parseStaticConfig(`${EP}providers: {redis: {tls: {ca: /nonexistent/ca.pem}}}\n`, FILE);
    const [redis] = await createProviders(config);
    await expect(redis!.start(() => undefined, pino({ level: 'silent' }))).rejects.toThrow(/providers\.redis\.tls\.ca: cannot read \/nonexistent\/ca\.pem/);
    await redis!.stop();
  });
});
