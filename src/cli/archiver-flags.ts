// The SBND archiver's top-level flags, mapped onto daqflow subcommands so existing cron lines keep working.
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
const MODIFIER_FLAGS = ['--incremental', '--compare-state'] as const;

const isFlag = (arg: string, flag: string): boolean => arg === flag || arg.startsWith(`${flag}=`);

/**
 * Returns null when argv starts with a daqflow subcommand or holds no archiver flag.
 * Otherwise translates, e.g. `--retry-failed-migrate` → `migrate --retry-failed-migrate`,
 * `--report-status --compare-state` → `report-status --compare-state`, and no mode flag with
 * `--incremental` → the archiver's full pipeline `import --incremental` then `migrate --incremental`.
 */
export function mapArchiverFlags(argv: readonly string[]): ArchiverMapping | null {
  const firstPositional = argv.find((a) => !a.startsWith('-'));
  const modes = MODE_FLAGS.filter((flag) => argv.some((a) => isFlag(a, flag)));
  const modifiers = MODIFIER_FLAGS.filter((flag) => argv.some((a) => isFlag(a, flag)));
  if (modes.length === 0 && modifiers.length === 0) return null;
  if (firstPositional !== undefined && !isOptionValue(argv, firstPositional)) return null;
  if (modes.length > 1) {
    throw new ConfigError(`choose one of ${modes.join(', ')}: they select different modes`);
  }
  const rest = argv.filter((a) => ![...MODE_FLAGS, ...MODIFIER_FLAGS].some((flag) => isFlag(a, flag)));
  const incremental = modifiers.includes('--incremental') ? ['--incremental'] : [];
  const mode = modes[0];
  if (modifiers.includes('--compare-state') && mode !== '--report-status') {
    throw new ConfigError('--compare-state only works with --report-status');
  }
  const translated = [...modes, ...modifiers];
  switch (mode) {
    case '--import-only':
      return { commands: [['import', ...incremental, ...rest]], translated };
    case '--migrate-only':
      return { commands: [['migrate', ...incremental, ...rest]], translated };
    case '--retry-failed-import':
      return { commands: [['import', '--retry-failed-import', ...rest]], translated };
    case '--retry-failed-migrate':
      return { commands: [['migrate', '--retry-failed-migrate', ...rest]], translated };
    case '--report-status':
      return { commands: [['report-status', ...(modifiers.includes('--compare-state') ? ['--compare-state'] : []), ...rest]], translated };
    case '--recover-import-state':
      return { commands: [['recover-state', 'import', ...rest]], translated };
    case '--recover-migrate-state':
      return { commands: [['recover-state', 'migrate', ...rest]], translated };
    default:
      return { commands: [['import', ...incremental, ...rest], ['migrate', ...incremental, ...rest]], translated };
  }
}

/** True when `value` appears only as the value of a preceding option such as `--config FILE`. */
function isOptionValue(argv: readonly string[], value: string): boolean {
  const i = argv.indexOf(value);
  const prev = i > 0 ? argv[i - 1]! : '';
  return ['--config', '--set', '-c'].includes(prev);
}
