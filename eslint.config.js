import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '.tools/**', '**/dist/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  {
    files: ['**/*.test.ts', 'bench/**', 'scripts/**', '**/cli.ts'],
    rules: { 'no-console': 'off' },
  },
  // One home per table: raw SQL lives in repository modules (and migrations), never in routes,
  // handlers or the engine. Everything else calls a repository function.
  {
    files: ['**/*.ts'],
    ignores: [
      '**/repository/**',
      '**/*-repository.ts',
      'db/migrations/**',
      // The database package itself (migrator bookkeeping, the readiness ping).
      'packages/db/src/**',
      // Tests assert on raw state, and the test harness checks row versions (xmin).
      '**/test/**',
      'packages/testing/src/**',
      // The reliability suite checks the database's state after breaking things on purpose.
      'reliability/**',
      // A benchmark's baseline IS a raw statement (bare unnest, one upsert per row, COPY).
      'bench/**',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'kysely',
              importNames: ['sql'],
              message: "SQL belongs in a repository module (a 'repository/' folder or a '*-repository.ts' file); call its functions from here.",
            },
          ],
        },
      ],
    },
  },
);
