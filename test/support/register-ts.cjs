/**
 * Lets a child process run the TypeScript sources as they are (`node -r
 * ./test/support/register-ts.cjs apps/api/src/main.ts`), for tests that need the real entry
 * point: transpiled one file at a time with the project's decorator settings (tsx/esbuild
 * would drop the parameter metadata Nest injects by) and the `@custodian/*` path aliases.
 */
const Module = require('node:module');
const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const { join, resolve } = require('node:path');

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

/** TypeScript itself is loaded only when a file has to be transpiled (a cache miss). */
let ts;
const options = {
  module: 'commonjs',
  target: 'es2022',
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  esModuleInterop: true,
  sourceMap: false,
};
/**
 * Transpiled output is kept on disk, keyed by a hash of the source, its path, these options and
 * the TypeScript version, so a child process pays for transpiling only the files that changed
 * since the last one (a test suite starts dozens; each would otherwise transpile the whole app
 * again, seconds of CPU apiece). A cache that cannot be read or written is simply not used.
 */
const cacheDir = join(root, 'node_modules', '.cache', 'custodian-register-ts');
const optionsKey = `${require('typescript/package.json').version}\n${JSON.stringify(options)}\n`;

function transpile(source, filename) {
  const key = createHash('sha256').update(optionsKey).update(filename).update('\n').update(source);
  const cached = join(cacheDir, `${key.digest('hex')}.js`);
  try {
    return readFileSync(cached, 'utf8');
  } catch {
    // not cached yet
  }
  ts ??= require('typescript');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: options,
    fileName: filename,
  });
  try {
    mkdirSync(cacheDir, { recursive: true });
    // Written aside and renamed into place, so a concurrent reader sees all of it or nothing.
    const partial = `${cached}.${process.pid}.tmp`;
    writeFileSync(partial, outputText);
    renameSync(partial, cached);
  } catch {
    // a read-only tree: transpile every time
  }
  return outputText;
}

require.extensions['.ts'] = (module, filename) => {
  module._compile(transpile(readFileSync(filename, 'utf8'), filename), filename);
};
