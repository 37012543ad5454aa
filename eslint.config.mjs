// Lint rules that keep the architecture honest (docs/architecture.md, "Module boundaries"):
// - a lib is imported only through its index (`@pacs/<name>`), never by a deep path;
// - a feature lib (stow, qido, wado, render, hl7, worklist, gateway) never imports another feature:
//   features meet only through the events of proto/;
// - a core lib never imports a feature;
// - process.env is read only in libs/config (and in scripts, tests and benchmarks).
import tseslint from 'typescript-eslint';

const features = ['stow', 'qido', 'wado', 'render', 'hl7', 'worklist', 'gateway'];
const core = [
  'auth',
  'bus',
  'config',
  'contracts',
  'dicom',
  'dicomweb',
  'hl7v2',
  'imaging',
  'index',
  'runtime',
  'storage',
  'telemetry',
];
const deepImports = { group: ['@pacs/*/*'], message: 'Import a lib through its index: @pacs/<name>.' };
const processEnv = {
  selector: "MemberExpression[object.name='process'][property.name='env']",
  message: 'Read settings through @pacs/config (libs/config/src/settings.ts), not process.env.',
};

export default tseslint.config(
  { ignores: ['**/node_modules/**', 'dist/**', '**/generated/**', '.infra/**', '.cache/**', 'data/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    // Nest injects constructor parameters by their emitted type metadata: such imports are values.
    languageOptions: { parserOptions: { emitDecoratorMetadata: true, experimentalDecorators: true } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      'no-restricted-imports': ['error', { patterns: [deepImports] }],
    },
  },
  {
    files: ['libs/**/*.ts', 'services/**/*.ts'],
    ignores: ['libs/config/**', '**/*.spec.ts', '**/*.integration-spec.ts', '**/*.memory-spec.ts'],
    rules: { 'no-restricted-syntax': ['error', processEnv] },
  },
  ...core.map((lib) => ({
    files: [`libs/${lib}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            deepImports,
            { group: features.map((f) => `@pacs/${f}`), message: 'A core lib never imports a feature.' },
          ],
        },
      ],
    },
  })),
  ...features.map((feature) => ({
    files: [`libs/${feature}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            deepImports,
            {
              group: features.filter((f) => f !== feature).map((f) => `@pacs/${f}`),
              message: 'Features meet only through events (proto/), never by import.',
            },
          ],
        },
      ],
    },
  })),
  {
    // CommonJS configuration files.
    files: ['**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: [
      '**/*.spec.ts',
      '**/*.integration-spec.ts',
      '**/*.memory-spec.ts',
      'scripts/**',
      'bench/**',
      'test/**',
      'conformance/**',
      'e2e/**',
      'libs/*/bench/**',
    ],
    // Tests and benchmarks compose whole processes: they may import any feature.
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      'no-restricted-imports': ['error', { patterns: [deepImports] }],
    },
  },
);
