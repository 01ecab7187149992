// strax storage errors: corrupt data names the file and what is wrong with it.
import { DaqflowError, EXIT } from '../errors.js';

/** Stored strax data is unreadable or inconsistent (like strax's DataCorrupted); names the file. */
export class DataCorruptedError extends DaqflowError {
  readonly file: string;
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`, { exitCode: EXIT.runsFailed, context: { file } });
    this.file = file;
  }
}
Object.defineProperty(DataCorruptedError.prototype, 'name', { value: 'DataCorruptedError', enumerable: false });

/** A compressed frame failed a structural check; the storage layer rethrows it as DataCorruptedError with the file. */
export class FrameError extends Error {}
Object.defineProperty(FrameError.prototype, 'name', { value: 'FrameError', enumerable: false });
