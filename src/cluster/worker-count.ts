import { availableParallelism } from 'node:os';
import type { StaticConfig } from '../config/static-config.js';

/** `workers: auto` is one process per CPU this process may use (cgroup limits included). */
export function workerCount(setting: StaticConfig['workers']): number {
  return setting === 'auto' ? availableParallelism() : setting;
}
