// MongoDB connection details: the URI (rundb.uri or a 0600 rundb.uri_file), client options, and driver errors as daqflow errors.
import fs from 'node:fs';
import {
  MongoClient,
  MongoError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoOperationTimeoutError,
  MongoParseError,
  MongoServerClosedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';
import type { Config } from '../config/schema.js';
import { ConfigError, DaqflowError, InternalError, ServiceUnavailableError } from '../errors.js';
import { redactText, uriCredentials, uriHosts } from './redact.js';

export interface MongoTarget {
  uri: string;
  /** Which key it came from, for messages. */
  option: 'rundb.uri' | 'rundb.uri_file';
  /** `mongodb://host:port/database` without credentials, for logs and errors. */
  location: string;
  secrets: string[];
}

/** Reads the connection string; a uri_file must be readable by its owner only (mode 0600 or 0400). */
export function resolveMongoTarget(rundb: Config['rundb']): MongoTarget {
  if (rundb.uri && rundb.uri_file) {
    throw new ConfigError('rundb: set either uri or uri_file, not both', { context: { option: 'rundb.uri_file' } });
  }
  let uri = rundb.uri;
  let option: MongoTarget['option'] = 'rundb.uri';
  if (rundb.uri_file) {
    option = 'rundb.uri_file';
    uri = readUriFile(rundb.uri_file);
  }
  if (!uri) throw new ConfigError('rundb.backend is mongo but neither rundb.uri nor rundb.uri_file is set', { context: { option: 'rundb.uri' } });
  if (!/^mongodb(\+srv)?:\/\//.test(uri)) {
    throw new ConfigError(`${option}: ${JSON.stringify(redactText(uri, uriCredentials(uri)))} is not a MongoDB connection string (mongodb://… or mongodb+srv://…)`, {
      context: { option },
    });
  }
  return { uri, option, location: `mongodb://${uriHosts(uri)}/${rundb.database}`, secrets: uriCredentials(uri) };
}

function readUriFile(file: string): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    throw new ConfigError(`rundb.uri_file: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, {
      context: { option: 'rundb.uri_file', file },
    });
  }
  const mode = stat.mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new ConfigError(
      `rundb.uri_file: ${file} has mode ${mode.toString(8).padStart(4, '0')} but holds credentials; make it readable by its owner only: chmod 600 ${file}`,
      { context: { option: 'rundb.uri_file', file } },
    );
  }
  const text = fs.readFileSync(file, 'utf8').trim();
  if (text === '') throw new ConfigError(`rundb.uri_file: ${file} is empty; put the MongoDB connection string in it`, { context: { option: 'rundb.uri_file', file } });
  return text;
}

/** The least time a connection to MongoDB may take to open (the driver's default connectTimeoutMS). */
const HANDSHAKE_TIMEOUT_MS = 10_000;

export function createMongoClient(target: MongoTarget, rundb: Config['rundb']): MongoClient {
  try {
    return new MongoClient(target.uri, {
      // An operation waits at most connect_timeout_ms for a usable server (then exit 4) …
      serverSelectionTimeoutMS: rundb.connect_timeout_ms,
      // … but a connection being opened (the monitor's or the pool's: TCP connect and hello) may take longer and still
      // serve the next operation. Cut at a short connect_timeout_ms, every handshake to a loaded mongod (or from a
      // loaded host) failed, cleared the pool and started over: the client never got back to a server that was up.
      connectTimeoutMS: Math.max(rundb.connect_timeout_ms, HANDSHAKE_TIMEOUT_MS),
      // A stalled primary must not hang a pass: the socket gives up a little after the server-side maxTimeMS would.
      socketTimeoutMS: rundb.op_timeout_ms + rundb.connect_timeout_ms,
      // Poll the server (hello every heartbeat, at once when an operation waits) rather than stream replies: a pass is
      // short and needs no sub-second failover news, polling works through any proxy, and it is what the wire test
      // server speaks. Reconnection after a restart relies on the driver resetting its monitor when an operation's
      // connection breaks (mongod 4.4+ sends the topologyVersion that needs); see docs/RUNDB.md "Reconnecting".
      serverMonitoringMode: 'poll',
      retryWrites: true,
      retryReads: true,
      readPreference: 'primary',
      appName: 'daqflow',
      ignoreUndefined: true,
    });
  } catch (error) {
    throw mongoError(error, target, 'connect', '');
  }
}

const STATE_CHANGE_CODES = new Set([6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436]);
/** The server took too long (maxTimeMS) or could not confirm the write concern in time: the DB is not usable now. */
const TOO_SLOW_CODES = new Set([50, 64]);
const AUTH_CODES = new Set([18, 13]);

/** Turns a driver error into ServiceUnavailableError (unreachable), ConfigError (URI, credentials) or InternalError. */
export function mongoError(error: unknown, target: MongoTarget, op: string, collection: string): Error {
  if (error instanceof DaqflowError) return error;
  const clean = (text: string) => redactText(text, target.secrets);
  const reason = clean(error instanceof Error ? error.message : String(error));
  const where = collection ? `${target.location} (collection ${collection})` : target.location;
  const context = { option: target.option, collection, op };
  if (error instanceof MongoParseError) {
    return new ConfigError(`${target.option}: the connection string is not valid (${reason})`, { context, cause: error });
  }
  if (error instanceof MongoServerError && AUTH_CODES.has(Number(error.code))) {
    return new ConfigError(`${target.option}: MongoDB at ${uriHosts(target.uri)} refused the credentials (${reason}); check the user, password and authSource`, {
      context,
      cause: error,
    });
  }
  const unreachable =
    error instanceof MongoServerSelectionError ||
    error instanceof MongoNetworkError ||
    error instanceof MongoTopologyClosedError ||
    error instanceof MongoNotConnectedError ||
    error instanceof MongoServerClosedError ||
    error instanceof MongoOperationTimeoutError ||
    (error instanceof MongoServerError && (STATE_CHANGE_CODES.has(Number(error.code)) || TOO_SLOW_CODES.has(Number(error.code)))) ||
    (error instanceof MongoError && (error.hasErrorLabel('ResetPool') || error.hasErrorLabel('RetryableWriteError')));
  if (unreachable) {
    return new ServiceUnavailableError(
      `runs DB ${where} is unreachable during ${op}: ${reason}; check that mongod is running and reachable from this host (${target.option}), or raise rundb.connect_timeout_ms / rundb.op_timeout_ms`,
      { context, cause: error },
    );
  }
  if (error instanceof MongoServerError) {
    return new InternalError(`runs DB ${where} rejected ${op}: ${reason} (code ${String(error.code)})`, { context, cause: error });
  }
  if (error instanceof Error) error.message = reason;
  return error instanceof Error ? error : new InternalError(reason, { context });
}
