import { createHash } from 'node:crypto';

/**
 * What marks a file as an nn-train checkpoint, and its seal: a SHA-256 of the whole file
 * (header, metadata and tensor bytes) taken with the checksum's own 64 hex digits as zeros.
 * A truncated, bit-flipped or hand-edited checkpoint no longer matches its seal. Model files
 * (model-file.ts) and checkpoints (checkpoint.ts) both read these.
 */
export const CHECKPOINT_FORMAT = 'nn-train-checkpoint';
/** The newest checkpoint layout this program writes and reads; a newer one is refused. */
export const CHECKPOINT_VERSION = 1;

const PREFIX = 'sha256:';
/** The checksum metadata value a file is encoded with before sealCheckpoint fills it in. */
export const UNSEALED = `${PREFIX}${'0'.repeat(64)}`;

/** Fills in the checksum of encoded bytes whose metadata holds UNSEALED, in place. */
export function sealCheckpoint(bytes: Uint8Array): void {
  const at = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf(UNSEALED);
  if (at < 0) throw new Error('sealCheckpoint: the bytes hold no unsealed checksum');
  const digest = createHash('sha256').update(bytes).digest('hex');
  bytes.set(Buffer.from(`${PREFIX}${digest}`, 'latin1'), at);
}

/** A one-line reason the checkpoint's format, version or checksum is not right; null if they are. */
export function checkpointProblem(bytes: Uint8Array, metadata: Record<string, string>): string | null {
  const { format, formatVersion, checksum } = metadata;
  if (format === undefined) return 'is not an nn-train checkpoint (its metadata names no format; written by another program?)';
  if (format === 'nn-train') return 'is a model saved by --save, not a checkpoint (write one with --checkpoint)';
  if (format !== CHECKPOINT_FORMAT) return `is not an nn-train checkpoint (its format is ${JSON.stringify(format)})`;
  const version = Number(formatVersion);
  if (!Number.isSafeInteger(version) || version < 1) return `has no valid formatVersion (${JSON.stringify(formatVersion)}); the file is damaged`;
  if (version > CHECKPOINT_VERSION) return `was written by a newer nn-train (checkpoint format version ${version}; this one reads up to ${CHECKPOINT_VERSION})`;
  if (checksum === undefined || !/^sha256:[0-9a-f]{64}$/.test(checksum)) return 'has no valid checksum; the file is damaged';
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = buffer.indexOf(checksum);
  const hash = createHash('sha256');
  if (at >= 0) hash.update(buffer.subarray(0, at)).update(UNSEALED).update(buffer.subarray(at + checksum.length));
  if (at < 0 || hash.digest('hex') !== checksum.slice(PREFIX.length)) return 'is damaged: its contents do not match their checksum (a truncated, corrupted or edited file)';
  return null;
}
