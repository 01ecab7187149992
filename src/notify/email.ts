// The e-mail channel: nodemailer over SMTP (TLS from the start, or STARTTLS), login from the config, env or a 0600 file.
import nodemailer from 'nodemailer';
import { readArchivePassword } from '../archive/index.js';
import type { Config } from '../config/schema.js';
import type { Message } from './message.js';

type EmailConfig = Config['notify']['email'];

/** The SMTP login, or undefined for none; the password never reaches a log line. */
function smtpAuth(email: EmailConfig, env: NodeJS.ProcessEnv): { user: string; pass: string } | undefined {
  if (email.user === null) return undefined;
  if (email.password !== null) return { user: email.user, pass: email.password };
  const pass = readArchivePassword({ username: email.user, passwordEnv: email.password_env, passwordFile: email.password_file }, env, 'notify.email');
  return pass === null ? undefined : { user: email.user, pass };
}

export async function sendEmail(email: EmailConfig, message: Message, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const transport = nodemailer.createTransport({
    host: email.smtp_host,
    port: email.smtp_port,
    secure: email.secure,
    requireTLS: email.starttls === 'require',
    ignoreTLS: email.starttls === 'never',
    tls: { rejectUnauthorized: email.tls_verify },
    auth: smtpAuth(email, env),
    connectionTimeout: email.timeout_s * 1000,
    greetingTimeout: email.timeout_s * 1000,
    socketTimeout: email.timeout_s * 1000,
  });
  try {
    await transport.sendMail({ from: email.from, to: email.to, subject: message.subject, text: message.text });
  } finally {
    transport.close();
  }
}
