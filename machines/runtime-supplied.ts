import { fromPromise } from 'xstate';

/**
 * Placeholder for an I/O actor that the runtime supplies with `.provide()`.
 * Machines stay pure definitions; running one without its runtime fails loudly
 * instead of silently doing nothing.
 */
export function runtimeSupplied<Output, Input>(name: string) {
  return fromPromise<Output, Input>(async () => {
    throw new Error(`${name} must be provided by the runtime`);
  });
}
