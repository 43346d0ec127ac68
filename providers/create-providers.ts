import type { StaticConfig } from '../src/config/static-config.js';
import { DockerProvider } from './docker/docker-provider.js';
import { EtcdProvider } from './etcd/etcd-provider.js';
import { FileProvider } from './file/file-provider.js';
import type { Provider } from './provider.js';
import { RedisProvider } from './redis/redis-provider.js';

/** The providers the static config asks for, in a fixed order (file, redis, etcd, docker). */
export function createProviders(config: StaticConfig): Provider[] {
  const providers: Provider[] = [];
  const file = config.providers.file;
  if (file) {
    providers.push(
      new FileProvider({
        ...(file.directory ? { directory: file.directory } : {}),
        ...(file.filename ? { filename: file.filename } : {}),
        watch: file.watch,
        debounceMs: config.providers.debounce,
      }),
    );
  }
  const redis = config.providers.redis;
  if (redis) {
    providers.push(
      new RedisProvider({
        endpoints: redis.endpoints,
        rootKey: redis.rootKey,
        db: redis.db,
        pollIntervalMs: redis.pollInterval,
        ...(redis.username !== undefined ? { username: redis.username } : {}),
        ...(redis.password !== undefined ? { password: redis.password } : {}),
        ...(redis.tls ? { tls: redis.tls } : {}),
        ...(redis.sentinel ? { sentinel: redis.sentinel } : {}),
      }),
    );
  }
  const etcd = config.providers.etcd;
  if (etcd) {
    providers.push(
      new EtcdProvider({
        endpoints: etcd.endpoints,
        rootKey: etcd.rootKey,
        ...(etcd.username !== undefined ? { username: etcd.username } : {}),
        ...(etcd.password !== undefined ? { password: etcd.password } : {}),
        ...(etcd.tls ? { tls: etcd.tls } : {}),
      }),
    );
  }
  const docker = config.providers.docker;
  if (docker) {
    providers.push(
      new DockerProvider({
        endpoint: docker.endpoint,
        exposedByDefault: docker.exposedByDefault,
        network: docker.network,
        defaultRule: docker.defaultRule,
        labelPrefix: docker.labelPrefix,
        ...(docker.tls ? { tls: docker.tls } : {}),
      }),
    );
  }
  return providers;
}
