import { describe, expect, it } from 'vitest';
import { commandModules } from '../../src/cli/commands/index.js';
import { missingCommands, PLANNED_COMMANDS } from '../../src/cli/commands/planned.js';
import { runCli } from './run-cli.js';

describe('commands the contract names but this build lacks', () => {
  it('are refused as planned (exit 3), never as an unknown argument', () => {
    const missing = missingCommands(commandModules);
    expect(missing.length).toBeGreaterThan(0);
    const result = runCli([missing[0]!, '--help']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`\`${missing[0]}\` is planned but not available in this build of daqflow`);
    expect(result.stderr).not.toMatch(/Unknown argument/);
    const afterOptions = runCli(['--config', 'none.yaml', '-v', missing[0]!]);
    expect(afterOptions.code).toBe(3);
    expect(afterOptions.stderr).toContain(`\`${missing[0]}\` is planned but not available`);
  });

  it('a registered command is never listed as planned', () => {
    const registered = commandModules.map((m) => String(m.command).split(' ')[0]);
    expect(missingCommands(commandModules).filter((name) => registered.includes(name))).toEqual([]);
    expect(PLANNED_COMMANDS.length).toBeGreaterThan(missingCommands(commandModules).length - 1);
  });
});
