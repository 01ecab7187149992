// The SBND archiver's invocation (`run_archiver.sh config.yaml --incremental`, top-level mode flags), mapped onto daqflow subcommands.
import { ConfigError } from '../errors.js';

export interface ArchiverMapping {
  /** Commands to run in order (each an argv for the daqflow CLI). */
  commands: string[][];
  /** The flags that were translated, for the log line that explains the mapping. */
  translated: string[];
}

const MODE_FLAGS = [
  '--import-only',
  '--migrate-only',
  '--retry-failed-import',
  '--retry-failed-migrate',
  '--report-status',
  '--recover-import-state',
  '--recover-migrate-state',
] as const;
const MODIFIER_FLAGS = ['--incremental', '--compare-state', '--validate'] as const;
/** Modes whose commands take migrate's --validate. */
const MIGRATING_MODES: readonly (string | undefined)[] = [undefined, '--migrate-only', '--retry-failed-migrate'];

const isFlag = (arg: string, flag: string): boolean => arg === flag || arg.startsWith(`${flag}=`);
/** The archiver takes its config file as the first positional; daqflow subcommands never end in .yaml. */
const isConfigFile = (arg: string): boolean => /\.ya?ml$/i.test(arg);

/**
 * Returns null when argv starts with a daqflow subcommand, or holds neither an archiver flag nor a config
 * file as first positional. Otherwise translates, e.g. `config.yaml --incremental` → `import --incremental
 * --config config.yaml` then `migrate --incremental --config config.yaml` (the archiver's full pipeline),
 * `--retry-failed-migrate` → `migrate --retry-failed-migrate`, `--report-status --compare-state` →
 * `report-status --compare-state`.
 */
export function mapArchiverFlags(argv: readonly string[]): ArchiverMapping | null {
  const firstPositional = argv.find((a, i) => !a.startsWith('-') && !isOptionValue(argv, i));
  const configFile = firstPositional !== undefined && isConfigFile(firstPositional) ? firstPositional : undefined;
  if (firstPositional !== undefined && configFile === undefined) return null;
  const modes = MODE_FLAGS.filter((flag) => argv.some((a) => isFlag(a, flag)));
  const modifiers = MODIFIER_FLAGS.filter((flag) => argv.some((a) => isFlag(a, flag)));
  if (modes.length === 0 && modifiers.length === 0 && configFile === undefined) return null;
  if (modes.length > 1) throw new ConfigError(`choose one of ${modes.join(', ')}: they select different modes`);
  if (configFile !== undefined && argv.some((a) => a === '--config' || a === '-c' || a.startsWith('--config='))) {
    throw new ConfigError(`${configFile}: give the config file once, either as the first argument or with --config`, { context: { option: 'config' } });
  }
  // As in the archiver, --compare-state alone implies --report-status.
  const mode = modes[0] ?? (modifiers.includes('--compare-state') ? '--report-status' : undefined);
  if (modifiers.includes('--compare-state') && mode !== '--report-status') throw new ConfigError('--compare-state only works with --report-status');
  if (modifiers.includes('--validate') && !MIGRATING_MODES.includes(mode)) throw new ConfigError(`--validate checks migrated blobs; it does not work with ${mode}`);
  const rest = [
    ...argv.filter((a) => a !== configFile && ![...MODE_FLAGS, ...MODIFIER_FLAGS].some((flag) => isFlag(a, flag))),
    ...(configFile === undefined ? [] : ['--config', configFile]),
  ];
  const incremental = modifiers.includes('--incremental') ? ['--incremental'] : [];
  const validate = modifiers.includes('--validate') ? ['--validate'] : [];
  const translated = [...(configFile === undefined ? [] : [configFile]), ...modes, ...modifiers];
  const commands = ((): string[][] => {
    switch (mode) {
      case '--import-only':
        return [['import', ...incremental, ...rest]];
      case '--migrate-only':
        return [['migrate', ...incremental, ...validate, ...rest]];
      case '--retry-failed-import':
        return [['import', '--retry-failed-import', ...rest]];
      case '--retry-failed-migrate':
        return [['migrate', '--retry-failed-migrate', ...validate, ...rest]];
      case '--report-status':
        return [['report-status', ...(modifiers.includes('--compare-state') ? ['--compare-state'] : []), ...rest]];
      case '--recover-import-state':
        return [['recover-state', 'import', ...rest]];
      case '--recover-migrate-state':
        return [['recover-state', 'migrate', ...rest]];
      default:
        return [['import', ...incremental, ...rest], ['migrate', ...incremental, ...validate, ...rest]];
    }
  })();
  return { commands, translated };
}

/** True when argv[i] is the value of a preceding option such as `--config FILE`. */
function isOptionValue(argv: readonly string[], i: number): boolean {
  const prev = i > 0 ? argv[i - 1]! : '';
  return ['--config', '--set', '-c'].includes(prev);
}
