import type { Dataset } from '../data/dataset.js';
import { RuntimeFailure } from '../errors.js';
import { createKernels } from '../kernels/index.js';
import { referenceKernels } from '../kernels/reference.js';
import { MultiLayerNet } from '../network/multi-layer-net.js';
import { SequentialNet } from '../network/sequential-net.js';
import type { Params } from '../network/network.js';
import { loadModel, type LoadedModel } from './model-file.js';

/**
 * A saved model, validated (before any data is loaded), then moved onto the kernels training
 * uses by default for its dtype, so eval scores it with the same arithmetic as the trainer's
 * last evaluation did.
 */
export async function readModel(file: string): Promise<LoadedModel> {
  const model = await loadModel(file, (dtype) => referenceKernels(dtype));
  const kernels = await createKernels({ dtype: model.dtype });
  const moved = (from: Params): Params => {
    const to: Params = {};
    for (const [name, m] of Object.entries(from)) {
      const copy = kernels.alloc(m.rows, m.cols); // same shape, in the backend's memory
      copy.data.set(m.data);
      to[name] = copy;
    }
    return to;
  };
  const net =
    model.net instanceof SequentialNet
      ? new SequentialNet(kernels, model.net.spec, { params: moved(model.net.params) })
      : new MultiLayerNet(kernels, model.net.spec, { params: moved(model.net.params), buffers: moved(model.net.buffers) });
  return { ...model, net };
}

/** The model must take this data set's images and name its classes. */
export function checkModelFits(model: LoadedModel, file: string, data: Dataset): void {
  const pixels = data.train.rows * data.train.cols;
  const spec = model.net.spec;
  const [inputSize, outputSize] = 'input' in spec ? [spec.input.C * spec.input.H * spec.input.W, spec.classes] : [spec.inputSize, spec.outputSize];
  if (inputSize !== pixels) throw new RuntimeFailure(`model ${file} takes ${inputSize} inputs but ${data.info.name} images have ${pixels} pixels`);
  if (outputSize !== data.info.classes) throw new RuntimeFailure(`model ${file} has ${outputSize} classes but ${data.info.name} has ${data.info.classes}`);
}
