import type { ImageSet } from '../data/dataset.js';
import type { Network } from '../network/network.js';
import { confusionRecord } from '../report/confusion-report.js';
import { epochRecord, summaryRecord } from '../report/records.js';
import { confusionMatrix, predictClasses, type ConfusionMatrix } from '../train/confusion.js';
import type { TrainEvent } from '../train/trainer.js';
import { EventStream } from './event-stream.js';
import { ModelSnapshot } from './model-snapshot.js';

/** The test set the page shows digits from, with the current model's answer for each. */
export interface TestView {
  readonly set: ImageSet;
  readonly predicted: Uint8Array; // predicted: (count), the model's class for each image
  readonly confusion: ConfusionMatrix;
}

/**
 * Everything the page can ask for, in one place: the model (a snapshot of its weights), the
 * test set with the model's answers and their confusion matrix, and the run's records as a
 * stream. The CLI fills it (a saved model, a run's NDJSON file, or a run in progress); the
 * routes only read it.
 */
export class PageSession {
  readonly events = new EventStream();
  private snapshot: ModelSnapshot | undefined;
  private testView: TestView | undefined;
  private versions = 0;
  private live = false;
  private finished = false;

  /**
   * `test` is the data set's test split (for the confusion matrix and its digits), when there
   * is a model to score it with; `classes` is the data set's class count.
   */
  constructor(
    private readonly test: ImageSet | undefined,
    readonly inputShape: readonly [number, number] = [28, 28],
  ) {}

  get model(): ModelSnapshot | undefined {
    return this.snapshot;
  }

  get testSet(): TestView | undefined {
    return this.testView;
  }

  /** What the page asks first: what there is to show. */
  state(): object {
    return {
      model: this.snapshot === undefined ? null : { version: this.snapshot.version, ...this.snapshot.info },
      testSet: this.testView === undefined ? null : { count: this.testView.set.count, rows: this.testView.set.rows, cols: this.testView.set.cols },
      live: this.live,
      finished: this.finished,
    };
  }

  /** A copy of `net`'s weights becomes the page's model; pages are told to fetch it. */
  setModel(net: Network, info: Record<string, unknown>): void {
    this.snapshot = new ModelSnapshot(net, ++this.versions, this.inputShape, info);
    this.events.publish({ event: 'model', data: { version: this.snapshot.version, ...info } });
  }

  /**
   * Scores the test set with `net` (the evaluation code of `nn-train eval`: the same classes,
   * so the same counts) and publishes the confusion record.
   */
  scoreTestSet(net: Network, classes: number): ConfusionMatrix | undefined {
    if (this.test === undefined) return undefined;
    const predicted = predictClasses(net, this.test);
    const confusion = confusionMatrix(this.test.labels, predicted, classes);
    this.testView = { set: this.test, predicted, confusion };
    return confusion;
  }

  /** A --json record (config, epoch, summary, confusion) for the page's curves and tables. */
  record(record: object): void {
    this.events.publish({ event: 'record', data: record });
  }

  /**
   * A training run in progress: its epoch records go to the page, and after each epoch the
   * page gets the weights as they are then, so a digit drawn meanwhile is scored as it learns.
   */
  trainEvent(e: TrainEvent, net: Network, info: Record<string, unknown>): void {
    if (e.type === 'start') {
      this.live = true;
    } else if (e.type === 'epoch') {
      this.record(epochRecord(e));
      this.setModel(net, { ...info, epoch: e.epoch, iteration: e.iteration });
    } else if (e.type === 'done') {
      this.record(summaryRecord(e.summary));
    }
  }

  /** The run is over: the trained model with its test-set results. */
  finish(net: Network, classes: number, info: Record<string, unknown>): void {
    const confusion = this.scoreTestSet(net, classes);
    this.setModel(net, info);
    if (confusion !== undefined) this.record(confusionRecord(confusion, 'test'));
    this.live = false;
    this.finished = true;
    this.events.publish({ event: 'end', data: { version: this.snapshot!.version } });
  }
}
