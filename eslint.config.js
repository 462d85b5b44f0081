// Lint: typescript-eslint's strict type-checked configuration over src/ (and type-aware rules over the tests,
// scripts and benchmarks through tsconfig.check.json). Rules that do not fit this codebase are turned off here,
// each with its reason.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'fixtures/**', 'coverage/**', '**/*.d.ts'] },
  {
    files: ['src/**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.strictTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Lookups in Maps and regex groups are checked before use; `!` states that check where TS cannot see it.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Fail-closed code re-checks values the types say cannot occur (parsed JSON, ts-morph internals, git output).
      '@typescript-eslint/no-unnecessary-condition': 'off',
      // ts-morph hands out its Node subclasses through factory methods, never constructors; this rule misreads that.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      // Numbers and booleans in messages print as users expect.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // `_`-prefixed names are deliberately unused (rest-destructuring to drop a key, placeholder parameters).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      // Bit-flag tests on TypeScript's flag enums (`(flags & X) === X`) compare numbers by design.
      '@typescript-eslint/no-unsafe-enum-comparison': 'off',
      // JSON readers return the schema's type named by the caller (`readJsonFile<Manifest>(…, 'manifest')`).
      '@typescript-eslint/no-unnecessary-type-parameters': 'off',
      // Control characters in regexes are deliberate: they strip or reject terminal escapes and NULs in input.
      'no-control-regex': 'off',
      // `() => void f()` and `x => map.delete(x)` shorthands are idiomatic callbacks.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
    },
  },
);
