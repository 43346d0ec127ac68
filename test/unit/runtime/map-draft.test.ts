import { describe, expect, it } from 'vitest';
import { MapDraft } from '../../../src/runtime/map-draft.js';

const fill = (previous: ReadonlyMap<string, number> | undefined, entries: Array<[string, number]>) => {
  const draft = new MapDraft(previous);
  for (const [k, v] of entries) draft.set(k, v);
  return draft.done();
};

describe('MapDraft', () => {
  const previous = new Map([
    ['a', 1],
    ['b', 2],
    ['c', 3],
  ]);

  it('hands back the previous map when every entry is the same, in the same order', () => {
    expect(fill(previous, [...previous])).toBe(previous);
  });

  it('copies at the first difference and keeps the order of the entries set', () => {
    for (const entries of [
      [['a', 1], ['b', 2], ['c', 4]],
      [['a', 1], ['c', 3], ['b', 2]],
      [['a', 1], ['b', 2]],
      [['a', 1], ['b', 2], ['c', 3], ['d', 4]],
      [],
    ] as Array<Array<[string, number]>>) {
      const map = fill(previous, entries);
      expect(map).not.toBe(previous);
      expect([...map]).toEqual(entries);
    }
    expect([...fill(undefined, [['x', 1]])]).toEqual([['x', 1]]);
  });
});
