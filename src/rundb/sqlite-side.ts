// The small side tables of runs.sqlite: host heartbeats, capped monitor samples, config override documents.
import type Database from 'better-sqlite3';
import { decodeDoc, encodeDoc } from './sqlite-json.js';
import type { ConfigDoc, Heartbeat, HostDoc, MonitorSample } from './types.js';

export function putHeartbeat(db: Database.Database, beat: Heartbeat, now: Date): void {
  const doc = { ...beat, time: beat.time ?? now };
  db.prepare(
    'INSERT INTO hosts (host, command, time, doc) VALUES (?, ?, ?, ?) ON CONFLICT (host, command) DO UPDATE SET time = excluded.time, doc = excluded.doc',
  ).run(beat.host, beat.command, doc.time.getTime(), encodeDoc(doc));
}

export function listHostRows(db: Database.Database, since: Date | undefined): HostDoc[] {
  const rows = (
    since
      ? db.prepare('SELECT doc FROM hosts WHERE time >= ? ORDER BY host, command').all(since.getTime())
      : db.prepare('SELECT doc FROM hosts ORDER BY host, command').all()
  ) as Array<{ doc: string }>;
  return rows.map((r) => decodeDoc<HostDoc>(r.doc));
}

/** Appends a sample and drops the oldest ones while the table holds more than `capBytes` of JSON. */
export function putMonitorSample(db: Database.Database, sample: Record<string, unknown>, now: Date, capBytes: number): void {
  const doc = { ...sample, time: sample.time instanceof Date ? sample.time : now };
  const text = encodeDoc(doc);
  const bytes = Buffer.byteLength(text);
  db.transaction(() => {
    db.prepare('INSERT INTO monitor (time, bytes, doc) VALUES (?, ?, ?)').run(doc.time.getTime(), bytes, text);
    let total = Number((db.prepare("SELECT value FROM meta WHERE key = 'monitor_bytes'").get() as { value: string } | undefined)?.value ?? 0) + bytes;
    const oldest = db.prepare('SELECT id, bytes FROM monitor ORDER BY id LIMIT 1');
    const drop = db.prepare('DELETE FROM monitor WHERE id = ?');
    while (total > capBytes) {
      const row = oldest.get() as { id: number; bytes: number } | undefined;
      if (!row || (db.prepare('SELECT COUNT(*) AS n FROM monitor').get() as { n: number }).n <= 1) break;
      drop.run(row.id);
      total -= row.bytes;
    }
    db.prepare("INSERT INTO meta (key, value) VALUES ('monitor_bytes', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(String(total));
  }).immediate();
}

export function listMonitorRows(db: Database.Database, since: Date | undefined, limit: number | undefined): MonitorSample[] {
  const where = since ? 'WHERE time >= ?' : '';
  const params: unknown[] = since ? [since.getTime()] : [];
  // limit 0 means no limit, as in MongoDB.
  const limited = limit !== undefined && limit > 0;
  const sql = limited ? `SELECT doc FROM monitor ${where} ORDER BY id DESC LIMIT ?` : `SELECT doc FROM monitor ${where} ORDER BY id DESC`;
  if (limited) params.push(limit);
  const rows = db.prepare(sql).all(...params) as Array<{ doc: string }>;
  return rows.reverse().map((r) => decodeDoc<MonitorSample>(r.doc));
}

export function getConfigRow(db: Database.Database, name: string): ConfigDoc | null {
  const row = db.prepare('SELECT doc FROM config WHERE name = ?').get(name) as { doc: string } | undefined;
  return row ? decodeDoc<ConfigDoc>(row.doc) : null;
}

export function putConfigRow(db: Database.Database, doc: ConfigDoc): void {
  db.prepare('INSERT INTO config (name, doc) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET doc = excluded.doc').run(doc.name, encodeDoc(doc));
}
