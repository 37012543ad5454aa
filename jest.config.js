// Unit tests: `*.spec.ts` beside the code, no servers. Integration tests use jest.integration.config.js.
const swc = JSON.parse(require('node:fs').readFileSync(`${__dirname}/.swcrc`, 'utf8'));
delete swc.jsc.baseUrl;
delete swc.jsc.paths;
// jest resolves the .ts files themselves: keep relative imports as written.
swc.jsc.rewriteRelativeImportExtensions = false;

/** @type {import('jest').Config} */
module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/{libs,services,scripts,conformance,test,e2e,bench}/**/*.spec.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { ...swc, swcrc: false }],
    '^.+\\.c?js$': [
      '@swc/jest',
      { swcrc: false, jsc: { parser: { syntax: 'ecmascript' }, target: 'es2023' }, module: { type: 'commonjs' } },
    ],
  },
  moduleNameMapper: { '^@pacs/([a-z0-9-]+)$': '<rootDir>/libs/$1/src' },
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  // Prisma's runtime and PGlite use import() in CommonJS, which jest's VM only supports behind a flag: compile it too.
  transformIgnorePatterns: ['/node_modules/(?!(@prisma/client/runtime|@electric-sql/pglite)/)'],
};
