// Read a config file and parse its YAML, turning every YAML error into `file: line L, column C: message`.
import fs from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument, type YAMLError } from 'yaml';
import { ConfigError } from '../errors.js';

export interface ParsedFile {
  raw: unknown;
  problems: string[];
  warnings: string[];
}

export function readConfigText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'EISDIR' ? 'is a folder, not a file' : code === 'EACCES' ? 'is not readable (permission denied)' : String((error as Error).message);
    throw new ConfigError(`${file}: cannot read the configuration: ${reason}`, { context: { file }, cause: error });
  }
}

function describe(label: string, error: YAMLError, counter: LineCounter): string {
  const { line, col } = counter.linePos(error.pos[0]);
  const message = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  return `${label}: line ${line}, column ${col}: ${message}`;
}

/** Parse YAML text; `label` (the file's basename) starts every problem. Never throws on bad YAML. */
export function parseYamlConfig(text: string, label: string): ParsedFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, merge: true, uniqueKeys: true });
  const problems = doc.errors.map((e) => describe(label, e, lineCounter));
  const warnings = doc.warnings.map((e) => describe(label, e, lineCounter));
  if (problems.length > 0) return { raw: undefined, problems, warnings };
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    return { raw: undefined, problems: [`${label}: ${(error as Error).message}`], warnings };
  }
  if (raw === null || raw === undefined) raw = {};
  const cycle = cyclePath(raw);
  if (cycle !== undefined) return { raw: undefined, problems: [`${label}: ${cycle || '(top level)'}: an alias refers to a node that contains it (a cycle); write the value out instead`], warnings };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    const got = Array.isArray(raw) ? 'a list' : `a ${typeof raw}`;
    return { raw: undefined, problems: [`${label}: the file must be a mapping of sections (work_dir:, rundb:, …), got ${got}`], warnings };
  }
  return { raw, problems, warnings };
}

/** The dotted path of the first value that contains itself (YAML `a: &x [*x]`), or undefined if the tree is acyclic. */
function cyclePath(value: unknown, at = '', open = new Set<object>()): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if (open.has(value)) return at;
  open.add(value);
  for (const [key, child] of Object.entries(value)) {
    const found = cyclePath(child, at ? `${at}.${key}` : key, open);
    if (found !== undefined) return found;
  }
  open.delete(value);
  return undefined;
}

export function parseConfigFile(file: string): ParsedFile {
  return parseYamlConfig(readConfigText(file), path.basename(file));
}
