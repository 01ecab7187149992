// The Slack channel: one incoming-webhook post per message (@slack/webhook); HTTP errors (429, 5xx) are thrown to the caller.
import { IncomingWebhook } from '@slack/webhook';
import type { Config } from '../config/schema.js';
import type { Message } from './message.js';

export async function sendSlack(slack: Config['notify']['slack'], message: Message): Promise<void> {
  if (!slack.webhook_url) throw new Error('notify.slack.webhook_url is not set');
  const webhook = new IncomingWebhook(slack.webhook_url, { timeout: slack.timeout_s * 1000 });
  // A code block keeps the run list aligned; the subject is the first line a phone shows.
  await webhook.send({ text: `*${message.subject}*\n\`\`\`\n${message.text}\`\`\`` });
}
