import type { ServeOptionValues, TrainConfigValues } from '../../config.js';
import type { Dataset } from '../../data/dataset.js';
import type { Network } from '../../network/network.js';
import type { DatasetRecord } from '../../report/records.js';
import { PageSession } from '../../serve/page-session.js';
import type { TrainEvent } from '../../train/trainer.js';
import { writeErr } from '../output.js';
import type { Interrupt } from '../signals.js';
import { startPage, untilAborted } from './page-server.js';

export interface TrainPage {
  /** Every training event: epochs go to the page as records, each with the weights as they are. */
  event(e: TrainEvent): void;
  /**
   * The run is over: the page gets the trained model and its test-set results. After a
   * complete run it goes on serving until Ctrl-C; after an interrupted one it closes at once.
   */
  finish(interrupted: boolean, interrupt: Interrupt): Promise<void>;
}

/** `train --serve`: the page server, started before the first step, fed by the run's events. */
export async function startTrainPage(
  serve: ServeOptionValues,
  config: TrainConfigValues,
  configRecord: object,
  net: Network & { architecture: string },
  data: Dataset,
  record: DatasetRecord,
): Promise<TrainPage> {
  const session = new PageSession(data.test, [data.test.rows, data.test.cols]);
  const info = { source: 'training', architecture: net.architecture, activation: config.activation, dataset: record.name };
  session.record(configRecord);
  session.setModel(net, { ...info, epoch: 0, iteration: 0 }); // the initial weights, before any step
  const server = await startPage(session, { ...serve, json: config.json });
  server.keepAlive(false); // while training: a failed run still ends the process
  return {
    event: (e) => session.trainEvent(e, net, info),
    async finish(interrupted, interrupt) {
      session.finish(net, data.info.classes, { ...info, trained: true });
      if (!interrupted) {
        writeErr(`Training done; the page at ${server.url} shows the trained model (Ctrl-C to stop)`);
        interrupt.training(() => {}); // now the first Ctrl-C ends the wait
        server.keepAlive(true);
        await untilAborted(interrupt.signal);
      }
      await server.close();
    },
  };
}
