// Lint rules: typescript-eslint's recommended set, type-free so it stays fast on two cores, and
// the direction between the parts of src/ (docs/ARCHITECTURE.md): each part may import only the
// parts below it, type-only imports included.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Lowest first. A part may import from the parts listed before it, never from one after it;
// parts on one line are beside each other and do not import each other.
const LAYERS = [
  ['kernels'],
  ['tokenizer'],
  ['model'],
  ['train', 'render'],
  ['anim'],
  ['scenes'],
  ['export'],
  ['web', 'cli'],
];

function boundaries() {
  return LAYERS.flatMap((level, i) =>
    level.map((part) => {
      const above = [...LAYERS.slice(i + 1).flat(), ...level.filter((p) => p !== part)];
      return {
        files: [`src/${part}/**/*.ts`],
        rules: {
          'no-restricted-imports': ['error', {
            patterns: above.map((other) => ({
              group: [`**/${other}/**`],
              message: `src/${part} sits below src/${other} (docs/ARCHITECTURE.md): move what it needs down, or this code up.`,
            })),
          }],
        },
      };
    }),
  );
}

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'lib/', 'coverage/', '**/*.wasm', 'src/kernels/wasm/build/', 'test-results/', 'out/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { console: 'readonly', process: 'readonly', globalThis: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  ...boundaries(),
);
