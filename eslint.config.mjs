// ESLint for the TypeScript sources (src/, test/, scripts/) and the few plain JS files (bin/, scripts/*.js).
// typescript-eslint's type-checked recommended rules (the type information comes from tsconfig.json
// through the project service), no `any` where a type is known, no unused variables, and no import
// cycles (import-x/no-cycle, resolving paths as TypeScript does). Formatting is Prettier's job
// (`prettier --check .`), so no stylistic rules here. `npm run lint` runs both.
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'build/', 'node_modules/', 'coverage/'] },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: {
      // Parse imported .ts files with typescript-eslint's parser and resolve paths as tsc does.
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: 'tsconfig.json' })],
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // node:test's test()/describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] },
          ],
        },
      ],
      // An async function without await is how this code meets a Promise- or AsyncIterable-shaped
      // contract (fastify's async hooks, BatchSource.batches as an async generator).
      '@typescript-eslint/require-await': 'off',
      // Rejecting with a caught `unknown` passes the original error on unchanged.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      'import-x/no-cycle': 'error',
      // import-x/no-cycle sees cycles between modules (and skips type-only imports); these zones keep the
      // layers between folders one-way, type imports included: the engine builds on the model, training
      // calls evaluation, never the other way.
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            { target: './src/model', from: './src/engine', message: 'the model knows no engine' },
            { target: './src/eval', from: './src/train', message: 'training uses evaluation, not the reverse' },
          ],
        },
      ],
    },
  },
  {
    // bin/dlrm.js, scripts/build-native.js and this file: CommonJS/ESM run by Node as they are.
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        __dirname: 'readonly',
        console: 'readonly',
      },
    },
  },
);
