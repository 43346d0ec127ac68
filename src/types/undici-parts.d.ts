// undici's two modules that Switchyard uses, imported on their own: `import … from 'undici'`
// evaluates all of undici (fetch, WebSocket, caches, mocks …), which cost ~85 ms of start-up CPU
// for nothing we use. Typed from undici's own declarations.
declare module 'undici/lib/dispatcher/pool.js' {
  import type { Pool } from 'undici';
  const PoolClass: typeof Pool;
  export default PoolClass;
}
declare module 'undici/lib/core/connect.js' {
  import type { buildConnector } from 'undici';
  const build: typeof buildConnector;
  export default build;
}
