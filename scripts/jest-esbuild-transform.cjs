// A minimal Jest transform: TypeScript → CommonJS with esbuild, inline source maps for stack traces.
const { transformSync } = require('esbuild');

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, {
      loader: 'ts',
      format: 'cjs',
      target: 'es2022',
      sourcemap: 'inline',
      sourcefile: filename,
      // Jest's CommonJS runtime cannot run import(); let esbuild turn `await import('node:fs')` into require.
      supported: { 'dynamic-import': false },
    });
    return { code, map };
  },
};
