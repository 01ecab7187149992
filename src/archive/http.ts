// The HTTP archive target: PUT/GET to a UconDB-style server or a WebDAV folder, basic auth, TLS, timeouts, retries with backoff.
import type http from 'node:http';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, DaqflowError, ServiceUnavailableError } from '../errors.js';
import { basicAuthHeader } from './credentials.js';
import { DigestStream } from './digest.js';
import { responseText, sendRequest, TransportError, type RequestSpec, type TlsSettings } from './http-request.js';
import { expandTemplate, type TemplateValues } from './naming.js';
import type { ArchiveTarget, ObjectDigest, PutOptions } from './target.js';

export interface HttpTargetOptions {
  /** URL template, e.g. `{server}/data/{folder}/{object}/key={number}` or `https://dav.example.org/archive/{run}.tar`. */
  url: string;
  values: TemplateValues;
  username: string | null;
  /** Read by the caller from archive.password_env / password_file; never logged. */
  password: string | null;
  tls: TlsSettings;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  /** Extra attempts after the first for network errors and 408/429/5xx answers. */
  retries: number;
  /** First backoff delay; doubled after every attempt. */
  retryDelayMs: number;
}

/** Answers to the probe that still prove the server is there (no such object, no HEAD on that path …). */
const PROBE_ACCEPTS = Array.from({ length: 100 }, (_, i) => 400 + i).filter((s) => s !== 401 && s !== 403 && s !== 408 && s !== 429);

/**
 * The response body, whose failures (a reset, a server gone mid-body, the idle timeout) surface as the error
 * `classify` makes: the archive being unreachable, not a bad object. A consumer that stops early closes the response.
 */
function classifiedBody(res: http.IncomingMessage, classify: (error: Error, bytes: number) => Error): Readable {
  let bytes = 0;
  return Readable.from(
    (async function* body() {
      try {
        for await (const chunk of res as AsyncIterable<Buffer>) {
          bytes += chunk.length;
          yield chunk;
        }
      } catch (error) {
        throw classify(error as Error, bytes);
      }
    })(),
    { objectMode: false },
  );
}

/** A failed attempt that may succeed when repeated; becomes ServiceUnavailableError when the attempts run out. */
class RetryableFailure extends Error {}

export class HttpTarget implements ArchiveTarget {
  readonly kind = 'http' as const;
  private readonly auth: string | null;

  constructor(private readonly options: HttpTargetOptions) {
    this.auth = options.username !== null && options.password !== null ? basicAuthHeader(options.username, options.password) : null;
    this.locate(0); // a bad template or URL is a config error at once, not at the first run
  }

  locate(run: number): string {
    const text = expandTemplate(this.options.url, run, this.options.values, 'archive.url', encodeURIComponent);
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new ConfigError(`archive.url: ${JSON.stringify(text)} is not a valid URL`, { context: { option: 'archive.url' } });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ConfigError(`archive.url: ${url.protocol} URLs are not supported (http or https)`, { context: { option: 'archive.url' } });
    }
    if (url.username || url.password) {
      throw new ConfigError('archive.url: credentials in the URL are not allowed; use archive.username and archive.password_env or password_file', {
        context: { option: 'archive.url' },
      });
    }
    return url.toString();
  }

  /** Reachable and accepting our credentials: any answer but 401/403 (after retries) to a HEAD of a run-0 URL. */
  async probe(signal?: AbortSignal): Promise<void> {
    const res = await this.request('HEAD', 0, signal, undefined, PROBE_ACCEPTS);
    res.resume();
  }

  async put(run: number, open: () => Readable, options: PutOptions = {}): Promise<ObjectDigest> {
    let digest: DigestStream | undefined;
    const res = await this.request('PUT', run, options.signal, () => {
      digest = new DigestStream();
      return { stream: open(), digest, size: options.size };
    });
    res.resume();
    const sent = await digest!.digest();
    if (options.size !== undefined && sent.size !== options.size) {
      throw new DaqflowError(`archive: PUT ${this.locate(run)}: sent ${sent.size} bytes, expected ${options.size}`, { exitCode: 1, context: { run } });
    }
    return sent;
  }

  async get(run: number, signal?: AbortSignal): Promise<Readable | null> {
    const res = await this.request('GET', run, signal, undefined, [404, 410]);
    if (res.statusCode === 404 || res.statusCode === 410) {
      res.resume();
      return null;
    }
    return classifiedBody(res, (error, bytes) =>
      new ServiceUnavailableError(`archive: GET ${this.locate(run)}: the connection broke after ${bytes} bytes of the body (${error.message})`, { context: { run, url: this.locate(run) }, cause: error }),
    );
  }

  /** One request with retries; returns a 2xx response (or one of `accept`), throws a classified error otherwise. */
  private async request(
    method: RequestSpec['method'],
    run: number,
    signal?: AbortSignal,
    body?: () => NonNullable<RequestSpec['body']>,
    accept: readonly number[] = [],
  ): Promise<http.IncomingMessage> {
    const url = this.locate(run);
    const attempts = this.options.retries + 1;
    let last = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) await sleep(this.options.retryDelayMs * 2 ** (attempt - 2), undefined, { signal });
      try {
        return await this.attempt(method, url, run, signal, body?.(), accept);
      } catch (error) {
        if (!(error instanceof RetryableFailure) || signal?.aborted) throw error;
        last = error.message;
      }
    }
    throw new ServiceUnavailableError(`archive: ${method} ${url} failed ${attempts} times; last: ${last}`, { context: { run, url } });
  }

  private async attempt(
    method: RequestSpec['method'],
    url: string,
    run: number,
    signal: AbortSignal | undefined,
    body: RequestSpec['body'],
    accept: readonly number[],
  ): Promise<http.IncomingMessage> {
    const headers: Record<string, string> = { 'user-agent': 'daqflow' };
    if (this.auth) headers.authorization = this.auth;
    if (body) headers['content-type'] = 'application/x-tar';
    let res: http.IncomingMessage;
    try {
      res = await sendRequest({ method, url: new URL(url), headers, tls: this.options.tls, connectTimeoutMs: this.options.connectTimeoutMs, idleTimeoutMs: this.options.idleTimeoutMs, signal, body });
    } catch (error) {
      if (error instanceof TransportError) {
        if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/i.test(error.code)) {
          throw new ServiceUnavailableError(`archive: ${method} ${url}: TLS verification failed (${error.code}); set archive.ca_file to your site CA`, { context: { run, url } });
        }
        throw new RetryableFailure(`${error.code}: ${error.message}`);
      }
      throw error;
    }
    const status = res.statusCode ?? 0;
    if ((status >= 200 && status < 300) || accept.includes(status)) return res;
    const text = await responseText(res, 300);
    const what = `archive: ${method} ${url}: HTTP ${status} ${res.statusMessage ?? ''}`.trim();
    if (status === 401 || status === 403) {
      throw new ConfigError(`${what}: access refused; check archive.username and the password (archive.password_env / archive.password_file)`, {
        context: { run, url, option: 'archive.username' },
      });
    }
    if (status >= 500 || status === 408 || status === 429) throw new RetryableFailure(`HTTP ${status}${text ? ` (${text.slice(0, 120)})` : ''}`);
    throw new DaqflowError(`${what}${text ? ` (${text.slice(0, 200)})` : ''}`, { exitCode: 1, context: { run, url } });
  }
}
