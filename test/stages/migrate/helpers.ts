// A fake run folder with run-record files and a strax data folder, for migrate tests.
import fs from 'node:fs';
import path from 'node:path';
import { makeTmpDir } from '../../support/tmp.js';

export interface FakeRun {
  recordDir: string;
  recordFiles: string[];
  dataDir: string;
}

export function fakeRun(run: string, options: { dataBytes?: number; record?: Record<string, string> } = {}): FakeRun {
  const root = makeTmpDir('daqflow-migrate-');
  const recordDir = path.join(root, 'live', run);
  fs.mkdirSync(recordDir, { recursive: true });
  const record = options.record ?? {
    'run_record.json': JSON.stringify({ run_number: Number(run), components: { tpc: { boards: 4 } } }),
    'metadata.yaml': `start_time: 2026-11-21T06:00:00Z\nend_time: 2026-11-21T07:00:00Z\n`,
    'boot.fcl': 'daq: { fragment_receiver: { max_fragment_size_bytes: 1048576 } }\n',
  };
  for (const [name, text] of Object.entries(record)) fs.writeFileSync(path.join(recordDir, name), text);
  const dataDir = path.join(root, 'strax', `${run}-event_info-abcdefghij`);
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(path.join(dataDir, 'event_info-abcdefghij-metadata.json'), '{"writing_ended": 1}');
  fs.writeFileSync(path.join(dataDir, 'event_info-abcdefghij-000000'), Buffer.alloc(options.dataBytes ?? 10_000, 3));
  return { recordDir, recordFiles: Object.keys(record), dataDir };
}

/** The error a promise rejects with; a promise that resolves fails the test. */
export async function failureOf(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`expected a failure, got ${JSON.stringify(outcome.value)}`);
  return outcome.error as Error;
}
