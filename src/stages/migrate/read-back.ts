// Reading an archived blob back: its MD5 and size, and with --validate the blob parsed and its run record checked.
import crypto from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { parse as parseYaml } from 'yaml';
import { DigestStream, digestOf, parseTar, type ArchiveTarget, type ObjectDigest, type ParsedEntry } from '../../archive/index.js';
import { errorMessage } from '../../errors.js';
import { formatRunId } from '../../util/validate.js';
import { BLOB_FORMAT, HEADER_NAME, type BlobHeader } from './blob.js';

export interface ReadBackResult extends ObjectDigest {
  /** With validation: what is wrong with the blob ([] = valid); without: null. */
  problems: string[] | null;
}

/**
 * Read the run's object from the archive in one streamed pass; null when the archive has none. A blob that does
 * not parse is a validation problem; a download that breaks is the target's error (the archive unreachable, exit 4).
 */
export async function readBack(target: ArchiveTarget, run: number, options: { signal?: AbortSignal; requiredKeys?: readonly string[] | null } = {}): Promise<ReadBackResult | null> {
  const stream = await target.get(run, options.signal);
  if (stream === null) return null;
  const requiredKeys = options.requiredKeys;
  if (requiredKeys == null) return { ...(await digestOf(stream, options.signal)), problems: null };
  const name = formatRunId(run);
  const keep = (entry: string): boolean => entry === `${name}/${HEADER_NAME}` || entry.startsWith(`${name}/record/`);
  const digest = new DigestStream();
  let problems: string[] = [];
  await pipeline(
    stream,
    digest,
    async (chunks: AsyncIterable<Buffer>) => {
      const source = chunks[Symbol.asyncIterator]();
      // parseTar may stop early on a bad blob; it gets no return() to call, so the rest is still read and digested.
      const unclosable = { [Symbol.asyncIterator]: () => ({ next: () => source.next() }) };
      try {
        problems = checkBlob(await parseTar(unclosable, keep), run, requiredKeys);
      } catch (error) {
        problems = [`not a readable archive blob: ${errorMessage(error)}`];
      }
      while (!(await source.next()).done);
    },
    { signal: options.signal },
  );
  return { ...(await digest.digest()), problems };
}

/** What is wrong with a parsed blob of `run`: header, record-file hashes, required run-record keys. */
export function checkBlob(entries: readonly ParsedEntry[], run: number, requiredKeys: readonly string[]): string[] {
  const name = formatRunId(run);
  const first = entries[0];
  if (!first || first.name !== `${name}/${HEADER_NAME}` || !first.content) return [`the first entry is not ${name}/${HEADER_NAME}`];
  let header: BlobHeader;
  try {
    header = JSON.parse(first.content.toString('utf8')) as BlobHeader;
  } catch (error) {
    return [`${HEADER_NAME} is not JSON: ${errorMessage(error)}`];
  }
  const problems: string[] = [];
  if (header.format !== BLOB_FORMAT) problems.push(`${HEADER_NAME}: format ${JSON.stringify(header.format)}, expected ${BLOB_FORMAT}`);
  if (header.run !== run) problems.push(`${HEADER_NAME}: names run ${header.run}, expected ${run}`);
  const records = new Map(entries.filter((e) => e.name.startsWith(`${name}/record/`)).map((e) => [e.name.slice(`${name}/record/`.length), e.content!]));
  const content = crypto.createHash('md5');
  for (const file of header.record_files ?? []) {
    const bytes = records.get(file.name);
    if (!bytes) {
      problems.push(`record file ${file.name} listed in the header is missing`);
      continue;
    }
    content.update(bytes);
    const md5 = crypto.createHash('md5').update(bytes).digest('hex');
    if (md5 !== file.md5) problems.push(`record file ${file.name}: md5 ${md5}, header says ${file.md5}`);
  }
  const contentMd5 = content.digest('hex');
  if (problems.length === 0 && contentMd5 !== header.content_md5) problems.push(`content md5 ${contentMd5}, header says ${header.content_md5}`);
  const parsed = parseRecords(records, problems);
  for (const key of requiredKeys) {
    if (!parsed.some((doc) => hasPath(doc, key))) problems.push(`required run-record key ${JSON.stringify(key)} is in none of the JSON/YAML record files`);
  }
  return problems;
}

function parseRecords(records: Map<string, Buffer>, problems: string[]): unknown[] {
  const docs: unknown[] = [];
  for (const [file, bytes] of records) {
    const text = bytes.toString('utf8');
    try {
      if (/\.json$/i.test(file)) docs.push(JSON.parse(text));
      else if (/\.ya?ml$/i.test(file)) docs.push(parseYaml(text));
    } catch (error) {
      problems.push(`record file ${file} does not parse: ${errorMessage(error).split('\n')[0]}`);
    }
  }
  return docs;
}

function hasPath(doc: unknown, dotted: string): boolean {
  let node = doc;
  for (const part of dotted.split('.')) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, part)) return false;
    node = (node as Record<string, unknown>)[part];
  }
  return true;
}
