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

/** The networks `--arch` names: the MLP of --hidden, and the book's two convnets (chapters 7 and 8). */
export type ArchName = 'mlp' | 'simple-convnet' | 'deep-convnet';
export const ARCH_NAMES: readonly ArchName[] = ['mlp', 'simple-convnet', 'deep-convnet'];

/** The convnets as layer specs (see layer-spec.ts): ch07/simple_convnet.py, ch08/deep_convnet.py. */
export const ARCH_LAYERS: { readonly [A in Exclude<ArchName, 'mlp'>]: string } = {
  'simple-convnet': 'conv:30x5,relu,pool:2,affine:100,relu,affine:10',
  'deep-convnet':
    'conv:16x3p1,relu,conv:16x3p1,relu,pool:2,conv:32x3p1,relu,conv:32x3p2,relu,pool:2,conv:64x3p1,relu,conv:64x3p1,relu,pool:2,affine:50,relu,dropout:0.5,affine:10,dropout:0.5',
};
