// Rewrite zod v4 issues as short, human messages: `expected a string`, `must be ≥ 1`, `unknown key "x" (did you mean "y"?)`.
import type { z } from 'zod';
import type { Problem } from './problems.js';
import { enumValues, isIntegerSchema, leafPaths, objectKeys, schemaAt } from './schema-walk.js';
import { unknownKeyMessage } from './suggest.js';

type Issue = z.core.$ZodIssue;

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a section (key: value pairs)',
  array: 'a list',
  record: 'a mapping',
  date: 'a date',
  null: 'null',
};

function typeName(expected: string): string {
  return TYPE_NAMES[expected] ?? expected;
}

function tooSmall(issue: Extract<Issue, { code: 'too_small' }>, schema: z.ZodType | undefined): string {
  const min = Number(issue.minimum);
  switch (issue.origin) {
    case 'string':
      return min <= 1 ? 'must not be empty' : `must be at least ${min} characters long`;
    case 'array':
    case 'set':
      return `must have at least ${min} item${min === 1 ? '' : 's'}`;
    default:
      if (!issue.inclusive && schema && isIntegerSchema(schema) && Number.isInteger(min)) return `must be ≥ ${min + 1}`;
      return issue.inclusive ? `must be ≥ ${min}` : `must be > ${min}`;
  }
}

function tooBig(issue: Extract<Issue, { code: 'too_big' }>): string {
  const max = Number(issue.maximum);
  if (issue.origin === 'string') return `must be at most ${max} characters long`;
  if (issue.origin === 'array' || issue.origin === 'set') return `must have at most ${max} items`;
  return issue.inclusive ? `must be ≤ ${max}` : `must be < ${max}`;
}

function formatMessage(issue: Extract<Issue, { code: 'invalid_format' }>): string {
  if (issue.format === 'url') return 'expected a URL (scheme://host/…)';
  if (issue.format === 'regex' && 'pattern' in issue && issue.pattern) return `must match /${String(issue.pattern)}/`;
  return `expected a valid ${issue.format}`;
}

/** One issue → one or more problems (unrecognized_keys gives one problem per key). */
export function describeIssue(issue: Issue, root: z.ZodType): Problem[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  const schema = schemaAt(root, path);
  switch (issue.code) {
    case 'invalid_type': {
      const values = schema ? enumValues(schema) : undefined;
      if (values) return [{ path, message: `expected one of ${values.join(', ')}` }];
      return [{ path, message: `expected ${typeName(issue.expected)}` }];
    }
    case 'invalid_value':
      return [{ path, message: `expected one of ${issue.values.map(String).join(', ')}` }];
    case 'too_small':
      return [{ path, message: tooSmall(issue, schema) }];
    case 'too_big':
      return [{ path, message: tooBig(issue) }];
    case 'invalid_format':
      return [{ path, message: formatMessage(issue) }];
    case 'not_multiple_of':
      return [{ path, message: `must be a multiple of ${String(issue.divisor)}` }];
    case 'unrecognized_keys': {
      const siblings = (schema && objectKeys(schema)) ?? [];
      const all = leafPaths(root);
      return issue.keys.map((key) => ({ path, message: unknownKeyMessage(key, siblings, all) }));
    }
    case 'invalid_union':
      return [{ path, message: 'does not match any of the accepted forms' }];
    case 'invalid_key':
      return [{ path, message: 'has an invalid key' }];
    case 'invalid_element':
      return [{ path, message: 'has an invalid element' }];
    default:
      return [{ path, message: (issue as { message: string }).message }];
  }
}

export function describeIssues(issues: readonly Issue[], root: z.ZodType): Problem[] {
  return issues.flatMap((issue) => describeIssue(issue, root));
}
