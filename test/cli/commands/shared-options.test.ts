import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../../src/cli/program.js';
import { BUNDLED_DATASET, DATASET_NAMES, DOWNLOADABLE_DATASETS } from '../../../src/data/dataset-names.js';

// The help path may not load src/data (start-up cost), so the --dataset help texts spell the
// names out; these checks keep them in step with the one list the checks and the data use.

function datasetHelp(command: string): string {
  const cmd = buildProgram().commands.find((c) => c.name() === command)!;
  return cmd.options.find((o) => o.long === '--dataset')!.description;
}

describe('--dataset help names the data sets', () => {
  it.each(['train', 'gradcheck', 'inspect-gradients', 'eval', 'predict'])('%s: every name, the bundled one marked', (command) => {
    const help = datasetHelp(command);
    for (const name of DATASET_NAMES) expect(help).toContain(name);
    expect(help).toContain(`${BUNDLED_DATASET} (bundled, offline)`);
  });

  it('download: the downloadable ones only', () => {
    expect(datasetHelp('download')).toBe(DOWNLOADABLE_DATASETS.join(' | '));
  });
});
