/**
 * An empty list for objects or strings (never numbers), made so that V8 already counts it as
 * holding any value. A `[]` literal starts as a list of small integers and changes kind at its
 * first push of an object; code V8 optimised for the lists of one load also saw that first
 * kind, and deoptimised at the first push of each next load (`--trace-deopt`: "not a Smi" in
 * routerSteps and DeferredMap.set, once per first load of 10,000 routers). Setting the length
 * of a one-item list to 0 keeps its kind: every list made here has the same, general one.
 */
export function objectList<T>(): T[] {
  const list: Array<T | undefined> = [undefined];
  list.length = 0;
  return list as T[];
}
