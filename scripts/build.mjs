// Compiles libs/ and services/ with swc into dist/ (same layout; `@pacs/<lib>` rewritten to relative
// paths by .swcrc) and copies the non-TypeScript assets the code reads at run time (SQL migrations,
// JSON data). Type checking is separate (`npm run typecheck`): swc only strips types, in well under a second.
import { execFileSync } from 'node:child_process';
import { cpSync, globSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

const root = join(import.meta.dirname, '..');
const out = join(root, 'dist');
rmSync(out, { recursive: true, force: true });
execFileSync(
  join(root, 'node_modules/.bin/swc'),
  [
    'libs',
    'services',
    '-d',
    'dist',
    '--config-file',
    '.swcrc',
    '--quiet',
    '--ignore',
    '**/*.spec.ts,**/*.integration-spec.ts,**/*.memory-spec.ts',
  ],
  { cwd: root, stdio: 'inherit' },
);
for (const asset of globSync('{libs,services}/*/{src,prisma}/**/*.{sql,json,wasm,proto}', { cwd: root })) {
  mkdirSync(dirname(join(out, asset)), { recursive: true });
  cpSync(join(root, asset), join(out, asset));
}
