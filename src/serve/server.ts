// The fastify app of `daqflow serve`: auth, errors as {"error": "…"}, request metrics, and every route. Read-only.
import Fastify, { type FastifyInstance } from 'fastify';
import { authCheck } from './auth.js';
import type { ServeContext } from './context.js';
import { registerDataRoutes } from './data-routes.js';
import { registerReportRoutes } from './report-routes.js';
import { registerRunsRoutes } from './runs-routes.js';
import { describeError } from './request-error.js';
import { drainOnClose } from './drain.js';

export interface ServerExtras {
  /** The token or password when serve.auth is on (from readServeSecret). */
  secret: string | null;
}

export const ENDPOINTS = ['/', '/get_data', '/api/data/:run', '/api/runs', '/api/runs/:run', '/api/report', '/metrics'];

export function buildServer(ctx: ServeContext, extras: ServerExtras): FastifyInstance {
  const app = Fastify({
    logger: false,
    // Shutdown goes through drainOnClose: a reply being sent is let finish, idle keep-alive sockets are closed.
    forceCloseConnections: false,
    return503OnClosing: true,
    requestTimeout: ctx.serve.request_timeout_s * 1000,
    routerOptions: { maxParamLength: 200 },
    bodyLimit: 64 * 1024,
  });
  drainOnClose(app.server);
  const allowed = authCheck(ctx.serve, extras.secret);

  app.addHook('onRequest', async (request, reply) => {
    if (allowed(request.headers.authorization)) return;
    reply.header('www-authenticate', ctx.serve.auth === 'basic' ? 'Basic realm="daqflow", charset="UTF-8"' : 'Bearer realm="daqflow"');
    return reply.code(401).send({ error: 'authentication required (see serve.auth in the configuration)' });
  });

  app.addHook('onResponse', async (request, reply) => {
    ctx.metrics.observeRequest(request.routeOptions.url ?? 'unmatched', request.method, reply.statusCode, reply.elapsedTime / 1000);
  });

  app.setErrorHandler((error, request, reply) => {
    const { status, message, internal } = describeError(error);
    if (internal) ctx.logger.error(`${request.method} ${request.routeOptions.url ?? request.url}: ${(error as Error).stack ?? String(error)}`);
    else if (status >= 500) ctx.logger.warn(`${request.method} ${request.routeOptions.url ?? request.url}: ${message}`);
    if (reply.sent || reply.raw.headersSent) return;
    void reply.code(status).type('application/json; charset=utf-8').send({ error: message });
  });

  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: `no endpoint ${request.method} ${request.url.split('?')[0]!.slice(0, 200)} (endpoints: ${ENDPOINTS.join(', ')})` });
  });

  registerDataRoutes(app, ctx);
  registerRunsRoutes(app, ctx);
  registerReportRoutes(app, ctx);
  app.get('/metrics', async (_request, reply) => {
    const text = await ctx.metrics.registry.metrics();
    return reply.type(ctx.metrics.registry.contentType).send(text);
  });
  return app;
}
