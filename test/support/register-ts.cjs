/**
 * Lets a child process run the TypeScript sources as they are (`node -r
 * ./test/support/register-ts.cjs apps/api/src/main.ts`), for tests that need the real entry
 * point: transpiled one file at a time with the project's decorator settings (tsx/esbuild
 * would drop the parameter metadata Nest injects by) and the `@custodian/*` path aliases.
 */
const Module = require('node:module');
const { readFileSync } = require('node:fs');
const { join, resolve } = require('node:path');
const ts = require('typescript');

const root = resolve(__dirname, '../..');
const { compilerOptions } = require(join(root, 'tsconfig.base.json'));
const aliases = Object.entries(compilerOptions.paths).map(([alias, [target]]) => [
  alias,
  join(root, target),
]);

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  for (const [alias, target] of aliases)
    if (request === alias || request.startsWith(`${alias}/`))
      return resolveFilename.call(this, target + request.slice(alias.length), ...rest);
  return resolveFilename.call(this, request, ...rest);
};

const options = {
  module: ts.ModuleKind.CommonJS,
  target: ts.ScriptTarget.ES2022,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  esModuleInterop: true,
  sourceMap: false,
};
require.extensions['.ts'] = (module, filename) => {
  const source = readFileSync(filename, 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: options,
    fileName: filename,
  });
  module._compile(outputText, filename);
};
