import v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import { objectList } from '../../../src/object-list.js';

// V8's own view of a list's elements kind, through its natives syntax (allowed for the
// functions compiled after the flag is set).
v8.setFlagsFromString('--allow-natives-syntax');
const hasSmiElements = new Function('list', 'return %HasSmiElements(list)') as (list: unknown[]) => boolean;
const hasObjectElements = new Function('list', 'return %HasObjectElements(list)') as (list: unknown[]) => boolean;

describe('objectList', () => {
  it('is empty and already of the general elements kind a [] literal only reaches at its first object', () => {
    const literal: object[] = [];
    expect(hasSmiElements(literal)).toBe(true);
    const list = objectList<object>();
    expect(list).toEqual([]);
    expect(list.length).toBe(0);
    expect(hasSmiElements(list)).toBe(false);
    expect(hasObjectElements(list)).toBe(true);
  });

  it('is an ordinary list: pushes, holds and gives back what it was given, in order', () => {
    const list = objectList<string | { n: number }>();
    const item = { n: 1 };
    list.push('a', item);
    list.push('b');
    expect(list).toEqual(['a', item, 'b']);
    expect(list[1]).toBe(item);
    expect(Array.isArray(list)).toBe(true);
    expect(hasObjectElements(list)).toBe(true);
  });

  it('makes a new list each time', () => {
    const a = objectList<string>();
    a.push('x');
    expect(objectList<string>()).toEqual([]);
  });
});
