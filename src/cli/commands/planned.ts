// Commands the contract names that this build does not have yet: messages call them planned, never available.
import type { CommandModule } from 'yargs';

/** In the order of ARCHITECTURE.md; a name leaves this list's effect as soon as its command module is registered. */
export const PLANNED_COMMANDS = ['auto-process', 'migrate', 'rechunk', 'report-status', 'recover-state', 'clean', 'runs', 'serve', 'db'] as const;

export const commandName = (m: { command?: string | readonly string[] }): string =>
  String(Array.isArray(m.command) ? m.command[0] : m.command).split(' ')[0]!;

/** The planned commands that no registered module provides. */
export function missingCommands(modules: readonly CommandModule<any, any>[]): string[] {
  const registered = new Set(modules.map(commandName));
  return PLANNED_COMMANDS.filter((name) => !registered.has(name));
}
