import type { StaticConfig } from '../src/config/static-config.js';
import type { Provider } from './provider.js';

/**
 * The providers the static config asks for, in a fixed order (file, redis, etcd, docker).
 * Each provider's module (and its client library: ioredis, etcd3 + gRPC, dockerode) is loaded
 * only when configured: together they took most of start-up time.
 */
export async function createProviders(config: StaticConfig): Promise<Provider[]> {
  const providers: Provider[] = [];
  const file = config.providers.file;
  if (file) {
    const { FileProvider } = await import('./file/file-provider.js');
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
    const { RedisProvider } = await import('./redis/redis-provider.js');
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
    const { EtcdProvider } = await import('./etcd/etcd-provider.js');
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
    const { DockerProvider } = await import('./docker/docker-provider.js');
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
