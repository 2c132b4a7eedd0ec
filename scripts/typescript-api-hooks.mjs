// Module hooks for `npm run docs`: TypeDoc imports 'typescript' for the compiler API, which TypeScript 7
// (the native port the project builds with) no longer ships; inside TypeDoc, that import gets
// TypeScript 5.9 instead, installed beside it as the alias package 'typescript-api'.
/** Node's resolve hook: rewrites only TypeDoc's own imports of 'typescript'. */
export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'typescript' && context.parentURL?.includes('/node_modules/typedoc/')) {
    return nextResolve('typescript-api', context);
  }
  return nextResolve(specifier, context);
}
