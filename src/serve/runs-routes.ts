// GET /api/runs (filtered, paged run states) and GET /api/runs/:run (the document `daqflow runs show --json` prints).
import type { FastifyInstance } from 'fastify';
import { parseStates, runStateRow } from '../stages/auto-process/operator.js';
import { ConfigError } from '../errors.js';
import { formatRunId, parseRunId } from '../util/validate.js';
import { toJson } from '../util/json.js';
import type { ServeContext } from './context.js';
import { refuseUnknown, single, type Query } from './query-params.js';
import { RequestError } from './request-error.js';

const STAGE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const RUNS_PARAMS = ['state', 'stage', 'range', 'limit', 'after'] as const;

function asRequestError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof ConfigError) throw new RequestError(400, error.shortMessage);
    throw error;
  }
}

/** `range=012100-012200` or one run; the bounds of the listing. */
function parseRange(text: string | undefined): { min?: number; max?: number } {
  if (text === undefined || text === '') return {};
  const m = /^(\d{1,9})(?:-(\d{1,9}))?$/.exec(text);
  if (!m) throw new RequestError(400, `range: ${JSON.stringify(text.slice(0, 80))} is not a run or a run range (e.g. 012100-012200)`);
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (hi < lo) throw new RequestError(400, `range: ${text} ends before it starts`);
  return { min: lo, max: hi };
}

export function registerRunsRoutes(app: FastifyInstance, ctx: ServeContext): void {
  app.get('/api/runs', async (request) => {
    const query = request.query as Query;
    refuseUnknown(query, RUNS_PARAMS);
    const stage = single(query, 'stage') ?? 'process';
    if (!STAGE.test(stage)) throw new RequestError(400, `stage: ${JSON.stringify(stage.slice(0, 80))} is not a stage name (e.g. process, import)`);
    const stateText = single(query, 'state');
    const states = asRequestError(() => parseStates(stateText ? stateText.split(',') : []));
    const limitText = single(query, 'limit') ?? '100';
    if (!/^\d{1,7}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > ctx.serve.runs_page_max) {
      throw new RequestError(400, `limit: ${JSON.stringify(limitText.slice(0, 80))} must be a whole number from 1 to ${ctx.serve.runs_page_max}`);
    }
    const limit = Number(limitText);
    const afterText = single(query, 'after');
    const after = afterText === undefined ? undefined : asRequestError(() => parseRunId(afterText, 'after'));
    let { min, max } = parseRange(single(query, 'range'));
    if (after !== undefined) min = Math.max(min ?? 0, after + 1);
    const docs = await ctx.store.listRuns({
      stage, ...(states.length ? { states } : {}), min, max, limit: limit + 1, order: 'asc', userFilter: false, fields: ['name', 'tags'],
    });
    const page = docs.slice(0, limit);
    const next = docs.length > limit ? formatRunId(page[page.length - 1]!.number) : null;
    return { stage, runs: page.map((d) => runStateRow(d, ctx.store.stateField, stage)), next_after: next };
  });

  app.get('/api/runs/:run', async (request, reply) => {
    refuseUnknown(request.query as Query, []);
    const run = asRequestError(() => parseRunId((request.params as { run: string }).run, 'run'));
    const doc = await ctx.store.getRun(run);
    if (!doc) throw new RequestError(404, `run ${formatRunId(run)} is not in the runs DB`);
    return reply.type('application/json; charset=utf-8').send(toJson(doc));
  });
}
