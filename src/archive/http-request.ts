// One HTTP(S) request with a connect timeout, an inactivity timeout, TLS settings and an optional streamed body.
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { DaqflowError } from '../errors.js';
import type { DigestStream } from './digest.js';

export interface TlsSettings {
  /** Verify the server certificate (default true). */
  verify: boolean;
  /** Extra CA certificates (PEM), e.g. a site CA. */
  ca?: string;
}

export interface RequestSpec {
  method: 'GET' | 'PUT' | 'HEAD';
  url: URL;
  headers: Record<string, string>;
  tls: TlsSettings;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  signal?: AbortSignal;
  /** The body, piped through `digest` (which sees exactly the bytes sent). */
  body?: { stream: Readable; digest: DigestStream; size?: number };
}

/** A failure below HTTP (refused, reset, timed out, DNS, TLS); `code` is the system or TLS error code. */
export class TransportError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** Our own errors (a body that failed) pass through; everything else is a transport failure. */
function transportError(error: unknown): Error {
  if (error instanceof TransportError || error instanceof DaqflowError) return error;
  const e = error as NodeJS.ErrnoException;
  return new TransportError(e.message ?? String(error), e.code ?? 'ERROR');
}

/**
 * Send the request; resolves with the response once its status line arrived (the body not yet read).
 * For a 2xx answer to a request with a body, also waits until the whole body was sent.
 */
export async function sendRequest(spec: RequestSpec): Promise<http.IncomingMessage> {
  const isHttps = spec.url.protocol === 'https:';
  const headers: Record<string, string> = { ...spec.headers };
  if (spec.body?.size !== undefined) headers['content-length'] = String(spec.body.size);
  else if (spec.body) headers['transfer-encoding'] = 'chunked';
  const options: https.RequestOptions = {
    method: spec.method,
    headers,
    signal: spec.signal,
    agent: false,
    ...(isHttps ? { rejectUnauthorized: spec.tls.verify, ...(spec.tls.ca ? { ca: spec.tls.ca } : {}) } : {}),
  };
  const req = (isHttps ? https : http).request(spec.url, options);
  const connectTimer = setTimeout(
    () => req.destroy(new TransportError(`no connection within ${spec.connectTimeoutMs / 1000} s`, 'ETIMEDOUT')),
    spec.connectTimeoutMs,
  );
  req.once('socket', (socket) => {
    const connected = (): void => clearTimeout(connectTimer);
    if (!socket.connecting) connected();
    socket.once(isHttps ? 'secureConnect' : 'connect', connected);
  });
  req.setTimeout(spec.idleTimeoutMs, () => req.destroy(new TransportError(`no data for ${spec.idleTimeoutMs / 1000} s`, 'ETIMEDOUT')));
  const response = new Promise<http.IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', (error) => reject(transportError(error)));
  });
  let sourceError: unknown;
  const bodyDone = spec.body ? sendBody(req, spec.body, (error) => (sourceError ??= error)) : Promise.resolve();
  if (!spec.body) req.end();
  try {
    const res = await response;
    if (res.statusCode! >= 200 && res.statusCode! < 300) await bodyDone;
    else res.once('end', () => req.destroy()); // stop sending a body the server refused
    return res;
  } catch (error) {
    // The blob itself failed (not the network): never retried, and reported as what it is.
    if (sourceError !== undefined) throw sourceError instanceof DaqflowError ? sourceError : new DaqflowError(`reading the blob failed: ${(sourceError as Error).message}`, { exitCode: 1, cause: sourceError });
    throw error;
  } finally {
    clearTimeout(connectTimer);
  }
}

/**
 * Pipe the body through its digest into the request. Awaited only after a 2xx answer, when it resolves once
 * the digest has seen every byte (its 'finish'; a server may answer and close the connection before the
 * request's own 'finish' fires). A failing source aborts the request, so the server never completes the
 * object; a request that closes without a 2xx answer stops the source.
 */
function sendBody(req: http.ClientRequest, body: NonNullable<RequestSpec['body']>, onSourceError: (error: Error) => void): Promise<void> {
  const { stream, digest } = body;
  let accepted = false;
  const done = new Promise<void>((resolve, reject) => {
    const fail = (error: Error): void => {
      reject(error);
      req.destroy(error);
      stream.destroy();
    };
    stream.once('error', (error) => {
      onSourceError(error);
      fail(error);
    });
    digest.once('error', fail);
    digest.once('finish', resolve);
    req.once('response', (res) => (accepted = res.statusCode! >= 200 && res.statusCode! < 300));
    req.once('close', () => {
      if (accepted) digest.resume(); // the server has every byte; let the digest finish
      else if (!digest.writableFinished) digest.destroy(new Error('the request closed before the body was sent'));
    });
  });
  done.catch(() => undefined);
  stream.pipe(digest).pipe(req);
  return done;
}

/** Read a (small) response body as text, at most `limit` bytes, for error messages. */
export async function responseText(res: http.IncomingMessage, limit = 2000): Promise<string> {
  let text = '';
  try {
    for await (const chunk of res) {
      if (text.length < limit) text += (chunk as Buffer).toString('utf8');
    }
  } catch {
    // the message is best effort
  }
  return text.slice(0, limit).replace(/\s+/g, ' ').trim();
}
