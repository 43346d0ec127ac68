import type { StaticConfig } from '../src/config/static-config.js';
import type { Provider } from './provider.js';

/**
 * The providers the static config asks for, in a fixed order (file, redis, etcd, docker).
 * Each provider's module (and its client library: ioredis, etcd3 + gRPC, dockerode) is loaded
 * only when configured: together they took most of start-up time. Each provider takes its
 * static config section as it is; only the units of two fields differ.
 */
export async function createProviders(config: StaticConfig): Promise<Provider[]> {
  const providers: Provider[] = [];
  const { file, redis, etcd, docker, debounce } = config.providers;
  if (file) {
    const options = { ...file, debounceMs: debounce };
    if (file.watch) {
      // Watched on the main thread while small, else in a thread of their own (watched-file-provider.ts).
      const { WatchedFileProvider } = await import('./file/watched-file-provider.js');
      providers.push(new WatchedFileProvider(options));
    } else {
      const { FileProvider } = await import('./file/file-provider.js');
      providers.push(new FileProvider(options));
    }
  }
  if (redis) {
    const { RedisProvider } = await import('./redis/redis-provider.js');
    providers.push(new RedisProvider({ ...redis, pollIntervalMs: redis.pollInterval }));
  }
  if (etcd) {
    const { EtcdProvider } = await import('./etcd/etcd-provider.js');
    providers.push(new EtcdProvider(etcd));
  }
  if (docker) {
    const { DockerProvider } = await import('./docker/docker-provider.js');
    providers.push(new DockerProvider(docker));
  }
  return providers;
}
