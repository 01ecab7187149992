// DataDirectory: a strax storage root — list and find datasets, stream chunks, open savers, run-level metadata.
import fs from 'node:fs';
import path from 'node:path';
import { DataNotAvailableError } from '../../errors.js';
import { inspectDataset, type StoredDataset } from './dataset.js';
import { readAllRows, readChunks, type ChunkData, type ReadOptions } from './chunk-reader.js';
import { DatasetSaver, type NewDataset, type SaverOptions } from './saver.js';
import { readRunMetadata, writeRunMetadata, type RunMetadata } from './run-metadata.js';
import { parseFolderName, validateKeyPart } from './names.js';

export interface ListFilter {
  run?: string;
  dataType?: string;
}

export interface DataDirectoryOptions {
  /** How a data folder is inspected (default inspectDataset); a long-running reader may pass a cached one. */
  inspect?: (folder: string) => StoredDataset | undefined;
}

export class DataDirectory {
  readonly root: string;
  private readonly inspect: (folder: string) => StoredDataset | undefined;
  constructor(root: string, options: DataDirectoryOptions = {}) {
    this.root = path.resolve(root);
    this.inspect = options.inspect ?? inspectDataset;
  }

  /**
   * Every strax data folder under the root (including `_temp` ones), sorted by folder name. Names are filtered
   * before any folder is opened, and a folder that vanishes while it is read (another process renaming its
   * `_temp` folder to the final name) is looked up again under that name, so concurrent writers are harmless.
   */
  list(filter: ListFilter = {}): StoredDataset[] {
    if (!fs.existsSync(this.root)) throw new DataNotAvailableError(this.root, 'the data directory does not exist');
    const out: StoredDataset[] = [];
    const names = fs.readdirSync(this.root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    const seen = new Set<string>();
    for (const name of names) {
      const key = parseFolderName(name);
      if (!key) continue;
      if (filter.run !== undefined && key.runId !== filter.run) continue;
      if (filter.dataType !== undefined && key.dataType !== filter.dataType) continue;
      const ds = this.inspectRacing(name);
      if (!ds || seen.has(ds.path)) continue;
      seen.add(ds.path);
      out.push(ds);
    }
    return out;
  }

  private inspectRacing(name: string): StoredDataset | undefined {
    const candidates = name.endsWith('_temp') ? [name, name.slice(0, -'_temp'.length)] : [name];
    for (const candidate of candidates) {
      try {
        return this.inspect(path.join(this.root, candidate));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    return undefined;
  }

  /** The complete dataset for run + data type (+ hash); DataNotAvailableError says why if there is none. */
  find(runId: string, dataType: string, lineageHash?: string): StoredDataset {
    validateKeyPart(runId, 'run id');
    const key = `${runId}-${dataType}-${lineageHash ?? '*'}`;
    const candidates = this.list({ run: runId, dataType }).filter((d) => lineageHash === undefined || d.lineageHash === lineageHash);
    const complete = candidates.filter((d) => d.state === 'complete');
    if (complete.length === 1) return complete[0]!;
    if (complete.length > 1) {
      throw new DataNotAvailableError(key, `several lineages stored (${complete.map((d) => d.lineageHash).join(', ')}); give the hash`);
    }
    const why = candidates.map((d) => `${path.basename(d.path)}: ${d.state}${d.reason ? ` (${d.reason})` : ''}`).join('; ');
    throw new DataNotAvailableError(key, why || `nothing stored in ${this.root}`);
  }

  chunks(ds: StoredDataset, options?: ReadOptions): AsyncGenerator<ChunkData> {
    return readChunks(ds, options);
  }

  readAll(ds: StoredDataset, options?: ReadOptions): Promise<Uint8Array> {
    return readAllRows(ds, options);
  }

  /** Start writing a dataset (see DatasetSaver); the overwrite policy applies to an existing final folder. */
  save(spec: NewDataset, options?: SaverOptions): Promise<DatasetSaver> {
    return DatasetSaver.open(this.root, spec, options);
  }

  readRunMetadata(runId: string): RunMetadata {
    return readRunMetadata(this.root, runId);
  }

  writeRunMetadata(runId: string, metadata: RunMetadata): string {
    return writeRunMetadata(this.root, runId, metadata);
  }
}
