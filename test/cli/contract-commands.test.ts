import { describe, expect, it } from 'vitest';
import { commandModules } from '../../src/cli/commands/index.js';
import { commandName } from '../../src/cli/commands/command-name.js';
import { runCli } from './run-cli.js';

/** The commands ARCHITECTURE.md's contract names (straxer is also its own program). */
const CONTRACT_COMMANDS = ['straxer', 'submit', 'auto-process', 'import', 'migrate', 'rechunk', 'report-status', 'recover-state', 'clean', 'runs', 'serve', 'db', 'fake-daq', 'data', 'init'];

describe('the commands the contract names', () => {
  it('are all registered and each has --help with examples', () => {
    const registered = new Set(commandModules.map(commandName));
    expect(CONTRACT_COMMANDS.filter((name) => !registered.has(name))).toEqual([]);
    for (const name of CONTRACT_COMMANDS) {
      const result = runCli([name, '--help']);
      expect(result.code, name).toBe(0);
      expect(result.stdout, name).toMatch(/Examples:/);
    }
  });

  it('an unknown command is a usage error naming it, exit 3', () => {
    const result = runCli(['reprocess-everything']);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/reprocess-everything/);
  });
});
