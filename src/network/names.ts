/**
 * The names the command line lists in its help, kept apart from the network code (as
 * src/kernels/backends.ts is from the kernels) so `nn-train --help` loads none of it.
 */

/** How a weight matrix's starting values are scaled (book section 6.2); see init.ts. */
export type InitName = 'std' | 'xavier' | 'he';
export const INIT_NAMES: readonly InitName[] = ['std', 'xavier', 'he'];

/** The nonlinearity after each hidden Affine layer; see multi-layer-net.ts. */
export type ActivationName = 'relu' | 'sigmoid';
export const ACTIVATION_NAMES: readonly ActivationName[] = ['relu', 'sigmoid'];
