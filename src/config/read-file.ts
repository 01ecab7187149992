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
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    const got = Array.isArray(raw) ? 'a list' : `a ${typeof raw}`;
    return { raw: undefined, problems: [`${label}: the file must be a mapping of sections (work_dir:, rundb:, …), got ${got}`], warnings };
  }
  return { raw, problems, warnings };
}

export function parseConfigFile(file: string): ParsedFile {
  return parseYamlConfig(readConfigText(file), path.basename(file));
}
