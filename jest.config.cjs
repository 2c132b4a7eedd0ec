// Jest runs the TypeScript sources through esbuild (see scripts/jest-esbuild-transform.cjs):
// TypeScript 7 has no JavaScript compiler API, so ts-jest cannot run; type-checking is `npm run typecheck`.
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/spec'],
  testMatch: ['**/*.spec.ts'],
  transform: { '^.+\\.ts$': '<rootDir>/scripts/jest-esbuild-transform.cjs' },
  setupFiles: ['<rootDir>/spec/helpers/setup.ts'],
  moduleFileExtensions: ['ts', 'js', 'cjs', 'mjs', 'json'],
  // Sources import siblings as './x.js' (NodeNext style); Jest must find the './x.ts' file.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1', '^maflow$': '<rootDir>/lib/index.ts', '^maflow/node$': '<rootDir>/lib/node/index.ts', '^maflow/([a-z]+)$': '<rootDir>/lib/entries/$1.ts' },
};
