// The direction between the parts of src/ (docs/ARCHITECTURE.md) is the lint's to hold: a
// wrong-way import, type-only ones included, fails `npm test`. These check the lint does refuse
// them, and lets the right-way ones through.
import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';

const eslint = new ESLint();

async function problems(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: file });
  return result.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('the lint holds the parts to their direction', () => {
  it.each([
    ['src/model/x.ts', "import type { Scene } from '../scenes/contract.ts';\nexport type X = Scene;\n", 'scenes'],
    ['src/model/x.ts', "import type { Theme } from '../render/theme.ts';\nexport type X = Theme;\n", 'render'],
    ['src/kernels/x.ts', "import { GPT } from '../model/gpt.ts';\nexport const x = GPT;\n", 'model'],
    ['src/tokenizer/x.ts', "import { ModelError } from '../model/config.ts';\nexport const x = ModelError;\n", 'model'],
    ['src/render/x.ts', "import { label } from '../anim/label.ts';\nexport const x = label;\n", 'anim'],
    ['src/anim/x.ts', "import type { Scene } from '../scenes/contract.ts';\nexport type X = Scene;\n", 'scenes'],
    ['src/scenes/x.ts', "import { startWorker } from '../web/page-client.ts';\nexport const x = startWorker;\n", 'web'],
    ['src/train/x.ts', "import { Frame } from '../render/frame.ts';\nexport const x = Frame;\n", 'render'],
    ['src/web/x.ts', "import { main } from '../cli/main.ts';\nexport const x = main;\n", 'cli'],
  ])('%s may not import from src/%s', async (file, code, part) => {
    const found = await problems(file, code);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('no-restricted-imports');
    expect(found[0]).toContain(`sits below src/${part}`);
  });

  it.each([
    ['src/scenes/x.ts', "import type { Explanation } from '../model/explanation.ts';\nexport type X = Explanation;\n"],
    ['src/train/x.ts', "import { gelu } from '../model/ops.ts';\nexport const x = gelu;\n"],
    ['src/web/x.ts', "import { fitSize } from '../export/formats.ts';\nexport const x = fitSize;\n"],
  ])('%s may import downwards', async (file, code) => {
    expect(await problems(file, code)).toEqual([]);
  });
});
