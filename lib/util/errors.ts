// Error classes and the one `assert` every public check goes through.

/**
 * Thrown when a value has the right type but the wrong shape or content
 * (shapes that do not broadcast, a wrong last dimension, a malformed file).
 * Like Python's `ValueError`; use `TypeError` for the wrong kind of value and
 * `RangeError` for a number out of range.
 */
export class ValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValueError';
  }
}

/** Any of the error classes maflow throws at its public boundary. */
export type ErrorClass = typeof ValueError | typeof TypeError | typeof RangeError | typeof Error;

/**
 * Throws `new ErrorClass(message())` unless `ok`. The message is a function so that
 * building it (formatting shapes) costs nothing on the happy path.
 *
 * @example
 * assert(x.shape.length === 2, () => `matmul: 'a' has shape [${x.shape}], expected rank 2`);
 */
export function assert(ok: boolean, message: () => string, ErrorClass: ErrorClass = ValueError): asserts ok {
  if (!ok) throw new ErrorClass(message());
}
