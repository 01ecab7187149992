// When each condition was last sent, per channel: state/notify.json (atomic write), so a condition is sent once per cooldown.
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomicSync } from '../util/atomic-write.js';
import type { NotifyEvent } from './events.js';

const FORMAT = 'daqflow-notify/1';

interface CooldownFile {
  format: typeof FORMAT;
  /** `<channel> <condition key>` → ISO time it was last sent. */
  sent: Record<string, string>;
}

export class Cooldown {
  private constructor(readonly file: string, private readonly sent: Record<string, string>, private readonly cooldownMs: number) {}

  /** A missing or unreadable file starts empty: losing it costs at most one repeated message, never a missed one. */
  static load(stateDir: string, cooldownMin: number): Cooldown {
    const file = path.join(stateDir, 'notify.json');
    let sent: Record<string, string> = {};
    try {
      const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<CooldownFile>;
      if (parsed.format === FORMAT && parsed.sent && typeof parsed.sent === 'object') sent = parsed.sent;
    } catch {
      // no file yet, or a damaged one
    }
    return new Cooldown(file, sent, cooldownMin * 60_000);
  }

  /** The events, each cut down to the conditions this channel has not sent within the cooldown; events left empty are dropped. */
  due(channel: string, events: readonly NotifyEvent[], now: Date): NotifyEvent[] {
    const out: NotifyEvent[] = [];
    for (const e of events) {
      const fresh = e.keys.map((k) => !this.coolingDown(channel, k, now));
      if (e.keys.length === e.items.length) {
        const keep = e.items.map((_, i) => fresh[i]!);
        if (keep.some(Boolean)) out.push({ ...e, items: e.items.filter((_, i) => keep[i]), keys: e.keys.filter((_, i) => keep[i]) });
      } else if (fresh.some(Boolean)) out.push(e);
    }
    return out;
  }

  private coolingDown(channel: string, key: string, now: Date): boolean {
    const last = this.sent[`${channel} ${key}`];
    return last !== undefined && now.getTime() - Date.parse(last) < this.cooldownMs;
  }

  markSent(channel: string, events: readonly NotifyEvent[], now: Date): void {
    for (const e of events) for (const k of e.keys) this.sent[`${channel} ${k}`] = now.toISOString();
  }

  /** Drops entries older than the cooldown (they no longer hold anything back) and writes the file atomically. */
  save(now: Date): void {
    for (const [k, t] of Object.entries(this.sent)) if (now.getTime() - Date.parse(t) >= this.cooldownMs) delete this.sent[k];
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    writeFileAtomicSync(this.file, JSON.stringify({ format: FORMAT, sent: this.sent } satisfies CooldownFile, null, 2) + '\n');
  }
}
