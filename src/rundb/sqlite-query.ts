// RunQuery → SQL over runs + run_stage (the indexed per-stage state and next_retry columns).
import type { RunQuery } from './store.js';

export interface Sql {
  sql: string;
  params: unknown[];
}

/** SELECT number, doc (or COUNT) for the query; the user filter is applied by the caller on decoded documents. */
export function selectRunsSql(q: RunQuery, options: { count?: boolean; limit?: number } = {}): Sql {
  const params: unknown[] = [];
  const where: string[] = [];
  let join = '';
  if (q.stage !== undefined && (q.states || q.dueBy)) {
    const pending = !q.states || q.states.includes('pending');
    join = `${pending ? 'LEFT ' : ''}JOIN run_stage s ON s.stage = ? AND s.number = r.number`;
    params.push(q.stage);
  }
  if (q.min !== undefined) {
    where.push('r.number >= ?');
    params.push(q.min);
  }
  if (q.max !== undefined) {
    where.push('r.number <= ?');
    params.push(q.max);
  }
  if (q.numbers) {
    where.push('r.number IN (SELECT value FROM json_each(?))');
    params.push(JSON.stringify(q.numbers));
  }
  if (q.stage !== undefined && q.states) {
    const named = q.states.filter((s) => s !== 'pending');
    const parts: string[] = [];
    if (q.states.includes('pending')) parts.push("s.state IS NULL OR s.state = 'pending'");
    if (named.length > 0) {
      parts.push(`s.state IN (${named.map(() => '?').join(', ')})`);
      params.push(...named);
    }
    where.push(parts.length > 0 ? `(${parts.join(' OR ')})` : '0');
  }
  if (q.stage !== undefined && q.dueBy) {
    where.push('(s.next_retry IS NULL OR s.next_retry <= ?)');
    params.push(q.dueBy.getTime());
  }
  const whereSql = where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '';
  if (options.count) return { sql: `SELECT COUNT(*) AS n FROM runs r ${join}${whereSql}`, params };
  let sql = `SELECT r.number AS number, r.doc AS doc FROM runs r ${join}${whereSql} ORDER BY r.number ${q.order === 'desc' ? 'DESC' : 'ASC'}`;
  if (options.limit !== undefined) {
    sql += ' LIMIT ?';
    params.push(options.limit);
  }
  return { sql, params };
}
