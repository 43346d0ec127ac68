// The bundled command (launch.ts) runs the code through a V8 code cache that it writes when it was
// missing or stale. The best moment to write it is when start-up is done: every function start-up
// needed is compiled by then and goes into the cache. The launcher leaves a hook for that here.

/** Where the launcher leaves its hook (a global: the launcher and the bundle are separate files). */
export const COMPILE_CACHE_HOOK = Symbol.for('switchyard.compileCache.started');

/** Start-up is done: lets the launcher write its code cache, if it needs one (no-op unbundled). */
export function startupDone(): void {
  const hook = (globalThis as Record<symbol, unknown>)[COMPILE_CACHE_HOOK];
  if (typeof hook === 'function') hook();
}
