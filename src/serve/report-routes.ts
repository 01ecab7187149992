// GET /api/report (the `report-status --json` object, or its HTML page) and GET / (that page, refreshed in place).
import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { buildReport, renderReportHtml, type Report } from '../report/index.js';
import { toJson } from '../util/json.js';
import type { ServeContext } from './context.js';
import { refuseUnknown, single, type Query } from './query-params.js';
import { RequestError } from './request-error.js';

/**
 * The live page's only script: every refresh it fetches the report page from /api/report and swaps the body in
 * place (same renderer as `report-status --html`, so the content and charts are the same). A failed refresh says
 * so on the page and retries; it never logs to the console.
 */
function liveScript(refreshMs: number): string {
  return `(() => {
  const every = ${refreshMs};
  const status = () => document.getElementById('daqflow-live');
  const say = (text, bad) => { const el = status(); if (el) { el.textContent = text; el.className = bad ? 'bad' : 'muted'; } };
  async function refresh() {
    try {
      const res = await fetch('api/report?format=html', { cache: 'no-store', credentials: 'same-origin' });
      if (!res.ok) throw new Error('HTTP ' + res.status);
      const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
      const keep = status();
      document.title = doc.title;
      document.body.replaceChildren(...doc.body.childNodes);
      if (keep) document.body.append(keep);
      document.body.dataset.refreshes = String(Number(document.body.dataset.refreshes || 0) + 1);
      say('live: refreshed at ' + new Date().toLocaleTimeString() + ', every ' + every / 1000 + ' s', false);
    } catch (error) {
      say('live: refresh failed (' + error.message + '), retrying in ' + every / 1000 + ' s', true);
    }
    setTimeout(refresh, every);
  }
  setTimeout(refresh, every);
})();`;
}

function livePage(report: Report, refreshS: number): { html: string; csp: string } {
  const script = liveScript(Math.round(refreshS * 1000));
  const hash = crypto.createHash('sha256').update(script).digest('base64');
  const tail = `<p id="daqflow-live" class="muted">live: refreshed every ${refreshS} s</p>\n<script>${script}</script>\n`;
  const page = renderReportHtml(report);
  const at = page.lastIndexOf('</body>');
  const html = at < 0 ? page + tail : page.slice(0, at) + tail + page.slice(at);
  // Nothing but this page's own styles, script and same-origin fetches may load.
  const csp = `default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-${hash}'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
  return { html, csp };
}

/** Concurrent requests share one report build (each build scans every source). */
function sharedBuild(ctx: ServeContext): () => Promise<Report> {
  let inFlight: Promise<Report> | null = null;
  return () => {
    inFlight ??= buildReport({ config: ctx.config, store: ctx.store, logger: ctx.logger }).finally(() => {
      inFlight = null;
    });
    return inFlight;
  };
}

export function registerReportRoutes(app: FastifyInstance, ctx: ServeContext): void {
  const report = sharedBuild(ctx);

  app.get('/api/report', async (request, reply) => {
    const query = request.query as Query;
    refuseUnknown(query, ['format']);
    const format = single(query, 'format') ?? 'json';
    if (format !== 'json' && format !== 'html') throw new RequestError(400, `format: ${JSON.stringify(format.slice(0, 80))} is not json or html`);
    const built = await report();
    if (format === 'html') return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(renderReportHtml(built));
    return reply.type('application/json; charset=utf-8').header('cache-control', 'no-store').send(toJson(built));
  });

  app.get('/', async (request, reply) => {
    refuseUnknown(request.query as Query, []);
    const { html, csp } = livePage(await report(), ctx.serve.report_refresh_s);
    return reply.type('text/html; charset=utf-8').header('content-security-policy', csp).header('cache-control', 'no-store').send(html);
  });

  // Browsers ask for it on their own; an empty answer keeps their consoles clean.
  app.get('/favicon.ico', async (_request, reply) => reply.code(204).send());
}
