// auto-process, before `done`: every target of a finished job exists complete in storage and covers the run.
import fs from 'node:fs';
import path from 'node:path';
import { DataNotAvailableError } from '../../errors.js';
import type { DataEntry, RunDoc } from '../../rundb/index.js';
import { DataDirectory } from '../../strax/index.js';
import type { StoredDataset } from '../../strax/storage/dataset.js';
import { formatRunId } from '../../util/validate.js';

export interface VerifiedTarget {
  target: string;
  /** The data entry to record for this host. */
  entry: DataEntry;
}

export type Verification = { ok: true; targets: VerifiedTarget[] } | { ok: false; problem: string };

const NS_PER_MS = 1_000_000n;

/**
 * Checks each target in the storage dirs (first complete copy wins): metadata readable, at least one chunk, no chunk
 * file of zero bytes, and — when the run document has start and end — first chunk start and last chunk end within
 * `toleranceS` of them.
 */
export function verifyTargets(storageDirs: readonly string[], doc: RunDoc, targets: readonly string[], toleranceS: number, host: string): Verification {
  const runId = formatRunId(doc.number);
  const verified: VerifiedTarget[] = [];
  for (const target of targets) {
    const found = findComplete(storageDirs, runId, target);
    if (typeof found === 'string') return { ok: false, problem: `${target}: ${found}` };
    const problem = datasetProblem(found, doc, toleranceS);
    if (problem) return { ok: false, problem: `${target} at ${found.path}: ${problem}` };
    const md = found.metadata!;
    verified.push({
      target,
      entry: {
        type: target, host, location: found.path, lineage_hash: found.lineageHash, n_chunks: md.chunks.length,
        size_mb: Math.round(found.sizeOnDisk / 1e4) / 100, compressor: md.compressor,
      },
    });
  }
  return { ok: true, targets: verified };
}

function findComplete(storageDirs: readonly string[], runId: string, target: string): StoredDataset | string {
  const why: string[] = [];
  for (const root of storageDirs) {
    try {
      return new DataDirectory(root).find(runId, target);
    } catch (error) {
      if (!(error instanceof DataNotAvailableError)) throw error;
      why.push(error.shortMessage);
    }
  }
  return `not stored complete (${why.join('; ') || 'no storage dirs'})`;
}

function datasetProblem(ds: StoredDataset, doc: RunDoc, toleranceS: number): string | null {
  const md = ds.metadata;
  if (!md) return 'metadata unreadable';
  if (md.chunks.length === 0) return 'no chunks';
  for (const chunk of md.chunks) {
    if (!chunk.filename) continue;
    let size: number;
    try {
      size = fs.statSync(path.join(ds.path, chunk.filename)).size;
    } catch {
      return `chunk file ${chunk.filename} missing`;
    }
    if (size === 0) return `chunk file ${chunk.filename} has zero bytes`;
  }
  if (!(doc.start instanceof Date) || !(doc.end instanceof Date)) return null;
  const tolerance = BigInt(Math.round(toleranceS * 1000)) * NS_PER_MS;
  const runStart = BigInt(doc.start.getTime()) * NS_PER_MS;
  const runEnd = BigInt(doc.end.getTime()) * NS_PER_MS;
  const first = md.chunks[0]!.start;
  const last = md.chunks.at(-1)!.end;
  const off = (a: bigint, b: bigint) => (a > b ? a - b : b - a) > tolerance;
  if (off(first, runStart) || off(last, runEnd)) {
    return `covers ${ns(first)}–${ns(last)} but the run is ${doc.start.toISOString()}–${doc.end.toISOString()} (tolerance ${toleranceS} s)`;
  }
  return null;
}

const ns = (t: bigint) => new Date(Number(t / NS_PER_MS)).toISOString();
