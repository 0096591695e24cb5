// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      '.data/**',
      '.tools/**',
      'reports/**',
      '.stryker-tmp/**',
      'eslint.config.mjs',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { ecmaVersion: 2022, sourceType: 'module' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-imports': ['error', { patterns: ['**/libs/*/src/**', '../../libs/**'] }],
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  { files: ['**/*.mjs'], languageOptions: { globals: { ...globals.node } } },
  {
    files: ['libs/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['pg', 'typeorm', '@nats-io/*', '@nestjs/*', 'node:*', 'fs', 'child_process', 'net', 'http'] }],
    },
  },
  // The layers: no library reaches sideways or up. The schema (every migration) sits
  // above the event store, messaging and the read models; they never import it.
  ...[
    ['libs/event-store/src/**/*.ts', ['@natgw/messaging', '@natgw/projections', '@natgw/schema']],
    ['libs/messaging/src/**/*.ts', ['@natgw/projections', '@natgw/schema']],
    ['libs/projections/src/**/*.ts', ['@natgw/messaging', '@natgw/schema']],
  ].map(([files, banned]) => ({
    files: [files],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['**/libs/*/src/**', '../../libs/**', ...banned] }],
    },
  })),
);
