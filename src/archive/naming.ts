// Object names and URLs from templates: {server} {folder} {object} {run} (six digits) {number}; URL parts are percent-encoded.
import { ConfigError } from '../errors.js';
import { formatRunId } from '../util/validate.js';

import { ARCHIVE_PLACEHOLDERS } from '../config/schema.js';

type Placeholder = 'server' | 'folder' | 'object' | 'run' | 'number';

export interface TemplateValues {
  server?: string;
  folder: string;
  object: string;
}

/** The placeholders a template uses; throws ConfigError naming the option for an unknown one. */
export function templatePlaceholders(template: string, option: string): Placeholder[] {
  const used: Placeholder[] = [];
  for (const match of template.matchAll(/\{([^{}]*)\}/g)) {
    const name = match[1] as Placeholder;
    if (!ARCHIVE_PLACEHOLDERS.includes(name)) {
      throw new ConfigError(`${option}: unknown placeholder {${match[1]}} in ${JSON.stringify(template)} (known: ${ARCHIVE_PLACEHOLDERS.map((p) => `{${p}}`).join(' ')})`, {
        context: { option },
      });
    }
    used.push(name);
  }
  return used;
}

/**
 * Fill in a template for one run. `encode` is applied to every value except {server}, which is a base URL
 * inserted as written (without a trailing '/').
 */
export function expandTemplate(template: string, run: number, values: TemplateValues, option: string, encode: (s: string) => string): string {
  templatePlaceholders(template, option);
  if (!Number.isSafeInteger(run) || run < 0) throw new ConfigError(`${option}: run ${run} is not a run number`, { context: { option } });
  const filled: Record<Placeholder, string> = {
    server: (values.server ?? '').replace(/\/+$/, ''),
    folder: encode(values.folder),
    object: encode(values.object),
    run: encode(formatRunId(run)),
    number: encode(String(run)),
  };
  if (template.includes('{server}') && !values.server) {
    throw new ConfigError(`${option}: the template uses {server} but archive.server is not set`, { context: { option } });
  }
  return template.replace(/\{([a-z]+)\}/g, (_m, name: Placeholder) => filled[name]);
}
