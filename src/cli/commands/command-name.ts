/** The first word of a yargs command module's `command` ('runs show <run>' → 'runs'). */
export const commandName = (m: { command?: string | readonly string[] }): string =>
  String(Array.isArray(m.command) ? m.command[0] : m.command).split(' ')[0]!;
