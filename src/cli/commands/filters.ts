import { Command, Option } from 'commander';

/**
 * `nn-train filters --model FILE --out filters.svg`: the first convolution's filters of a saved
 * convnet as a grayscale grid (book section 7.6.1); --compare-init draws the initial random
 * filters of the same seed beside them. The run lives in filters-run.ts, loaded by the action.
 */
export function filtersCommand(): Command {
  return new Command('filters')
    .description("draw a saved convnet's first convolution filters as a grayscale grid (SVG), as the book's 7.6.1")
    .addOption(new Option('--model <file>', 'a .safetensors convnet from nn-train --save'))
    .addOption(new Option('--out <file.svg>', 'the SVG file to write'))
    .option('--compare-init', 'also draw the filters as the same seed initialised them, beside the trained ones')
    .addHelpText(
      'after',
      `
Examples:
  $ nn-train --arch simple-convnet --epochs 1 --save convnet.safetensors
  $ nn-train filters --model convnet.safetensors --out filters.svg --compare-init`,
    )
    .action(async (raw: Record<string, unknown>) => {
      const { runFilters } = await import('./filters-run.js');
      await runFilters(raw);
    });
}
