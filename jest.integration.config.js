// Integration tests: `*.integration-spec.ts`, against real servers started by scripts/test-env/up.sh
// (PostgreSQL, Kafka in KRaft mode, an S3 server, all on 127.0.0.1).
const unit = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...unit,
  testMatch: ['<rootDir>/{libs,services,scripts,conformance,test}/**/*.integration-spec.ts'],
  globalSetup: '<rootDir>/scripts/test-env/global-setup.js',
  testTimeout: 120_000,
  maxWorkers: 2,
};
