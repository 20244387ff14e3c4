import { config } from 'zod/mini';
import { en } from 'zod/locales';

/**
 * zod as nn-train's schemas use it: the functional API (zod/mini), which unlike the full
 * `zod` import sets no message locale of its own. English here, as the full zod sets it, so
 * the few built-in messages our schemas do not write themselves read the same.
 * Import it as `import * as z from './zod.js'` (a namespace import: a bundle keeps only the
 * functions used).
 */
config(en());

export * from 'zod/mini';
