// Builds the API reference into docs/api/ with TypeDoc (options in typedoc.json), failing on any
// undocumented export. TypeDoc runs in this process with its 'typescript' import pointed at
// TypeScript 5.9 (see typescript-api-hooks.mjs). Extra arguments go to TypeDoc: `npm run docs -- --help`.
import { register } from 'node:module';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

register('./typescript-api-hooks.mjs', import.meta.url);
const require = createRequire(import.meta.url);
// TypeDoc's command line, minus the fork its bin script adds; it reads process.argv and exits with its code.
const cli = require.resolve('typedoc/package.json').replace(/package\.json$/, 'dist/cli.js');
await import(pathToFileURL(cli).href);
