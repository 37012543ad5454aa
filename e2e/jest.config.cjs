// The end-to-end suites (`*.e2e.ts`): a real browser against a running DICOMweb server. Run through
// scripts/e2e/run.sh, which prepares the viewer, the browser and the target, and sets the E2E_* variables.
const unit = require('../jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...unit,
  testMatch: ['<rootDir>/e2e/**/*.e2e.ts'],
  // One browser at a time on 2 cores: timings stay comparable, and scenarios do not compete for CPU.
  maxWorkers: 1,
  testTimeout: 300_000,
};
