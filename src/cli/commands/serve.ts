// `daqflow serve`: the read-only HTTP server — microstrax's /get_data, the runs API and /metrics.
import type { CommandModule } from 'yargs';
import { EXIT } from '../../errors.js';
import { openCommandContext } from '../context.js';
import type { GlobalArgs } from '../global-options.js';

interface ServeArgs extends GlobalArgs {
  host?: string;
  port?: number;
}

export const serveCommand: CommandModule<GlobalArgs, ServeArgs> = {
  command: 'serve',
  describe: 'Read-only HTTP server: microstrax-compatible /get_data, /api/data, /api/runs, /api/report, a live status page (/), /metrics',
  builder: (y) =>
    y
      .option('host', { type: 'string', requiresArg: true, describe: 'Address to bind (default serve.host, 127.0.0.1)' })
      .option('port', { type: 'number', requiresArg: true, describe: 'TCP port (default serve.port, 8000; 0 picks a free one)' })
      .example('$0 serve', 'serve on 127.0.0.1:8000 with the settings of config.yaml (serve: section)')
      .example('$0 serve --port 8001 --set serve.max_return_mb=50', 'another port, larger replies')
      .example('curl "http://127.0.0.1:8000/get_data?run_id=12100&target=peak_basics&max_n=10"', 'ten peaks of run 012100 as JSON (microstrax clients work unchanged)')
      .example('curl -o p.npy "http://127.0.0.1:8000/get_data?run_id=012100&target=peaks&format=npy&selection=area%3E100"', 'peaks with area > 100 as a NumPy file')
      .example('DAQFLOW_SERVE_TOKEN=… $0 serve --set serve.auth=token --set serve.secret_env=DAQFLOW_SERVE_TOKEN', 'require Authorization: Bearer …')
      .example('$0 serve --dry-run', 'check the configuration and show what would be served, without listening') as never,
  handler: async (argv) => {
    if (argv.port !== undefined && (!Number.isInteger(argv.port) || argv.port < 0 || argv.port > 65535)) {
      const { ConfigError } = await import('../../errors.js');
      throw new ConfigError(`--port: ${argv.port} is not a TCP port (0–65535)`, { context: { option: 'port' } });
    }
    const ctx = await openCommandContext(argv, 'serve');
    try {
      const { workPaths } = await import('../../config/index.js');
      const plan = {
        host: argv.host ?? ctx.config.serve.host,
        port: argv.port ?? ctx.config.serve.port,
        auth: ctx.config.serve.auth,
        storage: workPaths(ctx.config).storageDirs,
        limits: { max_load_mb: ctx.config.serve.max_load_mb, max_return_mb: ctx.config.serve.max_return_mb, max_concurrent_loads: ctx.config.serve.max_concurrent_loads },
      };
      if (argv.dryRun) {
        const { readServeSecret } = await import('../../serve/auth.js');
        readServeSecret(ctx.config.serve);
        if (!argv.json) process.stdout.write(`would serve on ${plan.host}:${plan.port} (auth: ${plan.auth}) from ${plan.storage.join(', ')}\n`);
        argv.outcome.set({ exitCode: EXIT.ok, json: { dry_run: true, ...plan } });
        return;
      }
      const { runServe } = await import('../../serve/run-serve.js');
      const signal = await runServe({ config: ctx.config, logger: ctx.logger, host: argv.host, port: argv.port });
      argv.outcome.set({ exitCode: signal === 'SIGINT' ? EXIT.sigint : EXIT.sigterm, json: { stopped_by: signal, ...plan } });
    } finally {
      await ctx.close();
    }
  },
};
