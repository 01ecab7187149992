// A command failure of the test server, turned into an {ok: 0, code, codeName, errmsg} reply.
import type { Document } from 'bson';

export class CommandError extends Error {
  constructor(
    readonly code: number,
    readonly codeName: string,
    readonly errmsg: string,
    readonly extra: Document = {},
  ) {
    super(errmsg);
  }

  toReply(): Document {
    return { ok: 0, errmsg: this.errmsg, code: this.code, codeName: this.codeName, ...this.extra };
  }
}
