// ${VAR}, ${VAR:-default} and ${VAR-default} expansion in every string value of the parsed YAML; `$$` is a literal `$`.
import type { KeyPath, Problem } from './problems.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Expand one string. Problems name the variable; `path` is only used in them. */
export function expandString(text: string, env: NodeJS.ProcessEnv, path: KeyPath, problems: Problem[]): string {
  if (!text.includes('$')) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch !== '$') {
      out += ch;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next !== '{') {
      out += '$';
      i++;
      continue;
    }
    const close = text.indexOf('}', i + 2);
    if (close < 0) {
      problems.push({ path, message: `unterminated "\${" (write "$$" for a literal "$")` });
      return text;
    }
    out += substitute(text.slice(i + 2, close), env, path, problems);
    i = close + 1;
  }
  return out;
}

function substitute(expr: string, env: NodeJS.ProcessEnv, path: KeyPath, problems: Problem[]): string {
  const m = /^([^:-]*)(:-|-)?([\s\S]*)$/.exec(expr)!;
  const name = m[1]!;
  const operator = m[2];
  if (!NAME.test(name)) {
    problems.push({ path, message: `"\${${expr}}" is not a valid variable reference (use \${NAME} or \${NAME:-default})` });
    return '';
  }
  const value = env[name];
  if (operator === ':-') return value === undefined || value === '' ? m[3]! : value;
  if (operator === '-') return value === undefined ? m[3]! : value;
  if (value === undefined) {
    problems.push({ path, message: `environment variable ${name} is not set and has no default` });
    return '';
  }
  return value;
}

/**
 * Expand every string value (not keys) in a parsed YAML tree. Returns a new tree. The paths of values that were
 * entirely one `${…}` and came out empty are pushed to `emptied` (the loader makes those null where null is allowed);
 * the other values that were entirely one `${…}` go to `whole` (the loader gives them the type the schema wants).
 */
export function expandEnv(
  value: unknown,
  env: NodeJS.ProcessEnv,
  problems: Problem[],
  path: KeyPath = [],
  emptied: KeyPath[] = [],
  whole: KeyPath[] = [],
): unknown {
  if (typeof value === 'string') {
    const out = expandString(value, env, path, problems);
    if (/^\$\{[^}]*\}$/.test(value)) (out === '' ? emptied : whole).push(path);
    return out;
  }
  if (Array.isArray(value)) return value.map((item, index) => expandEnv(item, env, problems, [...path, index], emptied, whole));
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = expandEnv(item, env, problems, [...path, key], emptied, whole);
    return out;
  }
  return value;
}
