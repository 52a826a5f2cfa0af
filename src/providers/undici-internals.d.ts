// Types for the undici modules src/providers/undici-pool.ts loads by path: each module's export is the value the
// package's index re-exports under the name used here.
declare module 'undici/lib/dispatcher/pool.js' {
  import { Pool } from 'undici';
  export default Pool;
}

declare module 'undici/lib/api/api-request.js' {
  import type { Dispatcher } from 'undici';
  /** Called with a dispatcher as `this`, as the index mixes it into Dispatcher.prototype. */
  function request(this: Dispatcher, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData>;
  export default request;
}

declare module 'undici/lib/core/errors.js' {
  import type { errors } from 'undici';
  const errorClasses: typeof errors;
  export default errorClasses;
}
