// RunQuery → SQL over runs + run_stage (the indexed per-stage state and next_retry columns).
import type { LegacyState } from './legacy-state.js';
import type { RunQuery } from './store.js';

export interface Sql {
  sql: string;
  params: unknown[];
}

/**
 * The stage's effective state: daqflow's (run_stage), else for the legacy stage the mapped legacy value read from the
 * document (rows other software wrote have no run_stage row).
 */
function stateExpr(legacy: LegacyState | null | undefined, stage: string | undefined, stateField: string): Sql {
  if (!legacy || legacy.stage !== stage) return { sql: 's.state', params: [] };
  const entries = Object.entries(legacy.map);
  const cases = entries.map(() => 'WHEN ? THEN ?').join(' ');
  const mapped = entries.length > 0 ? `, CASE json_extract(r.doc, ?) ${cases} END` : '';
  return {
    sql: `COALESCE(s.state, json_extract(r.doc, ?)${mapped})`,
    params: [`$.${stateField}.${stage}.state`, ...(entries.length > 0 ? [`$.${legacy.field}`, ...entries.flat()] : [])],
  };
}

/**
 * SELECT number, doc (or COUNT) for the query; the user filter is applied by the caller on decoded documents.
 * `columns` replaces the doc column (a projection; see sqlite-project.ts).
 */
export function selectRunsSql(q: RunQuery, options: { count?: boolean; limit?: number; legacy?: LegacyState | null; stateField?: string; columns?: string } = {}): Sql {
  const params: unknown[] = [];
  const where: string[] = [];
  let join = '';
  const state = stateExpr(options.legacy, q.stage, options.stateField ?? 'daqflow');
  if (q.stage !== undefined && (q.states || q.dueBy)) {
    const pending = !q.states || q.states.includes('pending') || state.params.length > 0;
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
    if (q.states.includes('pending')) {
      parts.push(`${state.sql} IS NULL OR ${state.sql} = 'pending'`);
      params.push(...state.params, ...state.params);
    }
    if (named.length > 0) {
      parts.push(`${state.sql} IN (${named.map(() => '?').join(', ')})`);
      params.push(...state.params, ...named);
    }
    where.push(parts.length > 0 ? `(${parts.join(' OR ')})` : '0');
  }
  if (q.stage !== undefined && q.dueBy) {
    where.push('(s.next_retry IS NULL OR s.next_retry <= ?)');
    params.push(q.dueBy.getTime());
  }
  const whereSql = where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '';
  if (options.count) return { sql: `SELECT COUNT(*) AS n FROM runs r ${join}${whereSql}`, params };
  let sql = `SELECT r.number AS number, ${options.columns ?? 'r.doc AS doc'} FROM runs r ${join}${whereSql} ORDER BY r.number ${q.order === 'desc' ? 'DESC' : 'ASC'}`;
  if (options.limit !== undefined) {
    sql += ' LIMIT ?';
    params.push(options.limit);
  }
  return { sql, params };
}
