// Prints the layout figures that issue 16's closing note compares before and after:
// - the number of source files under lib/, autodiff/ and flows/;
// - the largest function (by lines) among them;
// - the root entry's export count (values and types), read by the TypeScript checker.
// Run: node scripts/layout-metrics.mjs  (after `npm ci`; it uses the 'typescript-api' alias, TypeScript 5.9,
// because TypeScript 7 ships no compiler API).
import ts from 'typescript-api';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (path.endsWith('.ts')) files.push(path);
  }
};
['lib', 'autodiff', 'flows'].forEach(walk);

let largest = { lines: 0, name: '', file: '' };
for (const file of files) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart()).line;
      const end = source.getLineAndCharacterOfPosition(node.end).line;
      if (end - start + 1 > largest.lines) {
        const name = node.name?.getText() ?? (ts.isVariableDeclaration(node.parent) ? node.parent.name.getText() : '(anonymous)');
        largest = { lines: end - start + 1, name, file: `${file}:${start + 1}` };
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}

const program = ts.createProgram(['lib/index.ts'], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, strict: true });
const checker = program.getTypeChecker();
const root = checker.getSymbolAtLocation(program.getSourceFile('lib/index.ts'));
let values = 0;
let types = 0;
for (const symbol of checker.getExportsOfModule(root)) {
  const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
  // `export { type X }` of a class exports only its type.
  const typeOnly = (symbol.declarations ?? []).some((d) => (ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly)));
  if (target.flags & ts.SymbolFlags.Value && !typeOnly) values++;
  else types++;
}
console.log(JSON.stringify({ sourceFiles: files.length, largestFunction: largest, rootExports: { values, types, total: values + types } }, null, 2));
