import { describe, expect, it } from 'vitest';
import { commandModules } from '../../src/cli/commands/index.js';
import { commandName, missingCommands, PLANNED_COMMANDS } from '../../src/cli/commands/planned.js';
import { runCli } from './run-cli.js';

describe('commands the contract names', () => {
  it('are all registered in this build, so none is refused as planned', () => {
    expect(missingCommands(commandModules)).toEqual([]);
    for (const name of PLANNED_COMMANDS) {
      const result = runCli([name, '--help']);
      expect(result.code, name).toBe(0);
      expect(result.stderr, name).not.toMatch(/is planned but not available/);
    }
  });

  it('a contract command whose module is missing would be listed as planned', () => {
    const withoutServe = commandModules.filter((m) => commandName(m) !== 'serve');
    expect(missingCommands(withoutServe)).toEqual(['serve']);
  });
});
