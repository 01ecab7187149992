// Command dispatch of the test server: name → handler, error replies in mongod's shape.
import type { Document } from 'bson';
import {
  buildInfoReply,
  createCommand,
  createIndexesCommand,
  dropCommand,
  dropDatabaseCommand,
  helloReply,
  type ReplicaSetInfo,
  listCollectionsCommand,
  listIndexesCommand,
  saslStartCommand,
} from './admin.js';
import { deleteCommand, findAndModifyCommand, insertCommand, updateCommand } from './crud.js';
import { CommandError } from './errors.js';
import { aggregateCommand, countCommand, distinctCommand, findCommand, getMoreCommand, killCursorsCommand } from './read.js';
import type { WireState } from './state.js';

type Handler = (state: WireState, db: string, cmd: Document) => Document;

const ok: Handler = () => ({ ok: 1 });

const HANDLERS: Record<string, Handler> = {
  ping: ok,
  buildinfo: () => buildInfoReply(),
  insert: insertCommand,
  update: updateCommand,
  delete: deleteCommand,
  findandmodify: findAndModifyCommand,
  find: findCommand,
  getmore: getMoreCommand,
  killcursors: killCursorsCommand,
  aggregate: aggregateCommand,
  count: countCommand,
  distinct: distinctCommand,
  createindexes: createIndexesCommand,
  listindexes: listIndexesCommand,
  create: createCommand,
  listcollections: listCollectionsCommand,
  drop: dropCommand,
  dropdatabase: (state, db) => dropDatabaseCommand(state, db),
  endsessions: ok,
  killallsessions: ok,
  saslstart: () => saslStartCommand(),
  getlasterror: () => ({ n: 0, err: null, ok: 1 }),
};

/** Commands a driver's monitor or handshake sends; fault hooks never touch them. */
export function isHandshake(cmd: Document): boolean {
  const name = commandName(cmd);
  return name === 'hello' || name === 'ismaster';
}

export function commandName(cmd: Document): string {
  return (Object.keys(cmd)[0] ?? '').toLowerCase();
}

const RETRYABLE = new Set(['insert', 'update', 'delete', 'findandmodify']);

/** The key of a retryable write (session id + txnNumber), or undefined for other commands. */
export function retryKey(cmd: Document): string | undefined {
  const lsid = cmd.lsid as { id?: { toString(encoding: string): string } } | undefined;
  if (!RETRYABLE.has(commandName(cmd)) || !lsid?.id || cmd.txnNumber === undefined || cmd.autocommit !== undefined) return undefined;
  return `${lsid.id.toString('hex')}:${String(cmd.txnNumber)}`;
}

/** Runs one command; never throws (errors become {ok: 0} replies). A retried write gets the first attempt's reply, unexecuted. */
export function runCommand(state: WireState, cmd: Document, connectionId: number, legacy: boolean, rs: ReplicaSetInfo | null = null): Document {
  const name = commandName(cmd);
  const key = retryKey(cmd);
  if (key !== undefined) {
    const earlier = state.retryableReply(key);
    if (earlier) return earlier;
  }
  const reply = execute(state, cmd, name, connectionId, legacy, rs);
  if (key !== undefined && reply.ok === 1) state.rememberReply(key, reply);
  return reply;
}

function execute(state: WireState, cmd: Document, name: string, connectionId: number, legacy: boolean, rs: ReplicaSetInfo | null): Document {
  try {
    if (name === 'hello' || name === 'ismaster') return helloReply(connectionId, legacy || name === 'ismaster', rs);
    const handler = HANDLERS[name];
    if (!handler) throw new CommandError(59, 'CommandNotFound', `no such command: '${Object.keys(cmd)[0] ?? ''}'`);
    const db = typeof cmd.$db === 'string' ? cmd.$db : 'admin';
    return handler(state, db, cmd);
  } catch (error) {
    if (error instanceof CommandError) return error.toReply();
    return { ok: 0, errmsg: `test server: ${(error as Error).message}`, code: 1, codeName: 'InternalError' };
  }
}
