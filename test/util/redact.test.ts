// createRedactor: configured secrets and the generic patterns (URI passwords, Slack webhooks, password=…) become ***.
import { describe, expect, it } from 'vitest';
import { createRedactor, redactGeneric } from '../../src/util/redact.js';

describe('redaction', () => {
  it('replaces every occurrence of a configured secret, longest first', () => {
    const redact = createRedactor(['abc', 'abcdef']);
    expect(redact('x abcdef y abc z')).toBe('x *** y *** z');
  });

  it('ignores secrets too short to redact safely', () => {
    expect(createRedactor(['a', ''])('a banana')).toBe('a banana');
  });

  it('hides passwords in URIs of any scheme', () => {
    expect(redactGeneric('connect mongodb://u:p4ss@h1,h2/db?x=1 failed')).toBe('connect mongodb://u:***@h1,h2/db?x=1 failed');
    expect(redactGeneric('get https://bot:t0k@archive.example.org/x')).toBe('get https://bot:***@archive.example.org/x');
    expect(redactGeneric('mongodb://u:p@ss@h/db')).toBe('mongodb://u:***@h/db');
  });

  it('hides Slack webhook paths', () => {
    expect(redactGeneric('post https://hooks.slack.com/services/T1/B2/secret: 404')).toBe('post https://hooks.slack.com/services/*** 404');
  });

  it('hides password=, token= and JSON secrets', () => {
    expect(redactGeneric('login password=hunter2 user=x')).toBe('login password=*** user=x');
    expect(redactGeneric('auth_token="a b c" next=1')).toBe('auth_token=*** next=1');
    expect(redactGeneric('?api_key=k1&token=t2')).toBe('?api_key=***&token=***');
    expect(redactGeneric('{"password": "pw", "user": "u"}')).toBe('{"password": "***", "user": "u"}');
  });

  it('leaves ordinary text and config problems alone', () => {
    const text = 'config.yaml: migrate.auth_token: must not be empty; retry tokens=3 at 12:00:01 http://h:80/x';
    expect(redactGeneric(text)).toBe(text);
  });
});
