import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { ProviderSnapshot, ValidatedConfig } from '../../../src/config/dynamic-config.js';
import { ConfigWatcher } from '../../../src/config/watcher.js';
import { waitFor } from '../../helpers/wait.js';

/** A snapshot whose generation `n` shows in a marker service's server port. */
function snapshot(provider: string, n: number, size = 1): ProviderSnapshot {
  const services: Record<string, unknown> = { marker: { loadBalancer: { servers: [{ url: `http://127.0.0.1:${1000 + n}` }] } } };
  for (let i = 0; i < size; i++) services[`s${i}`] = { loadBalancer: { servers: [{ url: `http://10.${n}.${i >> 8}.${i & 255}` }] } };
  return { provider, config: { http: { services } } };
}
/**
 * Items in a snapshot that validation cannot finish in one 5 ms slice (a 10,000-router first
 * load takes ~80 ms), so that a test can act while it is under way.
 */
const MANY = 20_000;

const generation = (c: ValidatedConfig): number => {
  const marker = [...c.config.http.services].find(([name]) => name.startsWith('marker@'))![1];
  return Number(new URL(marker.loadBalancer.servers[0]!.url).port) - 1000;
};

function watcher(onConfig: (c: ValidatedConfig) => void | Promise<unknown>): ConfigWatcher {
  return new ConfigWatcher({ entryPoints: ['web'], debounceMs: 1, onConfig });
}

describe('ConfigWatcher', () => {
  it('hands on configs oldest first and the newest last when updates overtake a validation', async () => {
    const seen: number[] = [];
    const w = watcher((c) => void seen.push(generation(c)));
    w.update(snapshot('watch1', 1, MANY));
    const first = w.flush();
    await nextTurn(); // validation of the new items is under way
    for (let n = 2; n <= 4; n++) {
      w.update(snapshot('watch1', n, MANY));
      await nextTurn();
    }
    await first;
    await waitFor(() => seen.at(-1) === 4, 'the newest config', 20_000);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(new Set(seen).size).toBe(seen.length);
    w.stop();
  });

  it('flush() resolves only after what onConfig returned settled', async () => {
    let release: () => void = () => undefined;
    const w = watcher(() => new Promise<void>((r) => (release = r)));
    w.update(snapshot('watch2', 1));
    let flushed = false;
    const done = w.flush().then((changed) => {
      flushed = true;
      return changed;
    });
    for (let i = 0; i < 5; i++) await nextTurn();
    expect(flushed).toBe(false);
    release();
    expect(await done).toBe(true);
  });

  it('hands on nothing when the result equals the last one, with the same or equal new objects', async () => {
    const seen: number[] = [];
    const w = watcher((c) => void seen.push(generation(c)));
    const s = snapshot('watch3', 1, 10);
    w.update(s);
    expect(await w.flush()).toBe(true);
    w.update({ ...s });
    expect(await w.flush()).toBe(false);
    w.update(structuredClone(s));
    expect(await w.flush()).toBe(false);
    w.update(snapshot('watch3', 2, 10));
    expect(await w.flush()).toBe(true);
    expect(seen).toEqual([1, 2]);
  });

  it('hands on nothing after stop()', async () => {
    const seen: number[] = [];
    const w = watcher((c) => void seen.push(generation(c)));
    w.update(snapshot('watch4', 1, MANY));
    const pending = w.flush();
    await nextTurn();
    w.stop();
    expect(await pending).toBe(false);
    w.update(snapshot('watch4', 2));
    expect(await w.flush()).toBe(false);
    expect(seen).toEqual([]);
  });
});
