// An error a client caused or must be told about: an HTTP status and one line, sent as microstrax's {"error": "…"}.
import { ConfigError, DataNotAvailableError, DaqflowError } from '../errors.js';
import { SelectionError } from './selection.js';

export class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
Object.defineProperty(RequestError.prototype, 'name', { value: 'RequestError', enumerable: false });

/** Status and message for anything a handler threw; internal errors are not described beyond their class. */
export function describeError(error: unknown): { status: number; message: string; internal: boolean } {
  if (error instanceof RequestError) return { status: error.status, message: error.message, internal: false };
  if (error instanceof SelectionError) return { status: 400, message: error.message, internal: false };
  if (error instanceof DataNotAvailableError) return { status: 404, message: error.shortMessage, internal: false };
  if (error instanceof ConfigError) return { status: 400, message: error.shortMessage, internal: false };
  if (error instanceof DaqflowError) return { status: 500, message: error.shortMessage, internal: false };
  return { status: 500, message: 'internal error (see the server log)', internal: true };
}
