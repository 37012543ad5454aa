#!/usr/bin/env bash
# `npm test`: every check and every test suite, starting the real servers the integration suites need
# (scripts/test-env/up.sh: PostgreSQL, Kafka, S3 on 127.0.0.1; installed and cached when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n== %s\n' "$*"; }

step "lint"
npx eslint .
npx prettier --check . --log-level warn
step "typecheck"; npx tsc -p tsconfig.json
step "generated files up to date"; npm run -s codegen:check
step "unit tests"; npx jest -c jest.config.js
step "build (the cluster suites run the built services)"; npm run -s build
step "test environment"; bash scripts/test-env/up.sh
step "integration tests"; npx jest -c jest.integration.config.js
step "end-to-end: OHIF in Chromium against the embedded process (with and without tokens) and the cluster"; npm run -s test:e2e
step "deployment (Dockerfile, Helm chart, manifests: lint, render, schema and policy checks)"; bash scripts/deploy/check.sh
