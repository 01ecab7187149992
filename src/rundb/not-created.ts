// A sqlite runs DB that no pass has created yet, met by a caller that must not create it (a read-only report).
import { ServiceUnavailableError } from '../errors.js';

export class RunsDbNotCreatedError extends ServiceUnavailableError {
  constructor(readonly file: string) {
    super(`the runs DB ${file} does not exist yet; \`daqflow import\` (or \`daqflow db init\`) creates it`, { context: { file, option: 'rundb.sqlite_path' } });
  }
}
Object.defineProperty(RunsDbNotCreatedError.prototype, 'name', { value: 'RunsDbNotCreatedError', enumerable: false });
