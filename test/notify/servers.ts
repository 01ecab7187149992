// Real listeners on 127.0.0.1 for the notification and metrics tests: SMTP (smtp-server), HTTP (Slack webhook), TCP (Carbon).
import http from 'node:http';
import net from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll } from 'vitest';

export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  body: string;
  /** The session was upgraded to TLS (STARTTLS) before the mail was sent. */
  secure: boolean;
}

/** Headers unfolded and quoted-printable decoded: enough for the plain-text mails nodemailer sends. */
function parseMail(raw: string): { subject: string; body: string } {
  const split = raw.indexOf('\r\n\r\n');
  const headers = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  let body = raw.slice(split + 4);
  if (/content-transfer-encoding:\s*quoted-printable/i.test(headers)) {
    body = Buffer.from(body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
  }
  return { subject: /^subject: (.*)$/im.exec(headers)?.[1] ?? '', body: body.replace(/\r\n/g, '\n') };
}

export interface SmtpSink {
  port: number;
  mails: ReceivedMail[];
  /** Login attempts refused. */
  refused: number;
  close(): Promise<void>;
}

/**
 * An SMTP server that requires login as user/pass. Plain text on 127.0.0.1 by default; with `starttls` it offers
 * STARTTLS (smtp-server's built-in self-signed certificate) and accepts a login only after the upgrade.
 */
export async function startSmtp(user: string, pass: string, options: { starttls?: boolean; port?: number } = {}): Promise<SmtpSink> {
  const sink: SmtpSink = { port: 0, mails: [], refused: 0, close: async () => {} };
  const server = new SMTPServer({
    authOptional: false,
    allowInsecureAuth: !options.starttls,
    disabledCommands: options.starttls ? [] : ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === user && auth.password === pass) return cb(null, { user });
      sink.refused++;
      cb(new Error('Invalid username or password'));
    },
    onData(stream, session, cb) {
      const parts: Buffer[] = [];
      stream.on('data', (d: Buffer) => parts.push(d));
      stream.on('end', () => {
        const mail = parseMail(Buffer.concat(parts).toString('utf8'));
        sink.mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), secure: session.secure, ...mail });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  sink.port = (server.server.address() as net.AddressInfo).port;
  sink.close = () => new Promise((resolve) => server.close(() => resolve()));
  return sink;
}

export interface HttpSink {
  url: string;
  bodies: string[];
  /** Status codes to answer with, in order; 200 once they run out. */
  statuses: number[];
  close(): Promise<void>;
}

/** An HTTP server standing in for Slack's incoming webhook: records each body, answers with the queued statuses. */
export async function startWebhook(): Promise<HttpSink> {
  const sink: HttpSink = { url: '', bodies: [], statuses: [], close: async () => {} };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      sink.bodies.push(body);
      const status = sink.statuses.shift() ?? 200;
      res.writeHead(status, status === 429 ? { 'retry-after': '30' } : {});
      res.end(status === 200 ? 'ok' : status === 429 ? 'rate_limited' : 'internal_error');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink.url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/services/T000/B000/secret`;
  sink.close = () => new Promise((resolve) => server.close(() => resolve()));
  return sink;
}

export interface TcpSink {
  port: number;
  /** Everything received, per connection, once the connection ended. */
  received: string[];
  /** Resolves once `n` connections have ended. */
  waitFor(n: number): Promise<void>;
  close(): Promise<void>;
}

export async function startTcp(): Promise<TcpSink> {
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const sink: TcpSink = {
    port: 0, received: [],
    waitFor: (n) => (sink.received.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
    close: async () => {},
  };
  const server = net.createServer((socket) => {
    let text = '';
    socket.on('data', (d) => (text += d));
    socket.on('end', () => {
      sink.received.push(text);
      for (const w of waiters.filter((w) => sink.received.length >= w.n)) w.resolve();
      socket.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink.port = (server.address() as net.AddressInfo).port;
  sink.close = () => new Promise((resolve) => server.close(() => resolve()));
  return sink;
}

/** Samples of a Prometheus text-format file: `name{labels} value` → value, keyed by `name{labels}` exactly as written. */
export function parsePromText(text: string): { samples: Map<string, number>; types: Map<string, string> } {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${JSON.stringify(line)}`);
    samples.set(m[1]!, Number(m[2]));
  }
  return { samples, types };
}

export interface NotifySinks {
  smtp: SmtpSink;
  hook: HttpSink;
  carbon: TcpSink;
}

/** For a test file: an SMTP server (user daq, password pw-right), a webhook and a Carbon listener, stopped after the file. */
export function useNotifySinks(): NotifySinks {
  const sinks = {} as NotifySinks;
  beforeAll(async () => {
    [sinks.smtp, sinks.hook, sinks.carbon] = await Promise.all([startSmtp('daq', 'pw-right'), startWebhook(), startTcp()]);
  });
  afterAll(async () => {
    await Promise.all([sinks.smtp.close(), sinks.hook.close(), sinks.carbon.close()]);
  });
  return sinks;
}
