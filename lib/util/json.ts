// The JSON value type: what every `getConfig()` returns, so that a saved model is plain `JSON.stringify` output.

/** A JSON value: what `getConfig()` returns, so a model can be written with `JSON.stringify`. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
