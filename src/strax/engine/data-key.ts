// DataKey: run + data type + lineage hash, printed `run-type-hash` (also the folder name).
import type { Lineage } from '../lineage.js';

export class DataKey {
  constructor(
    readonly runId: string,
    readonly dataType: string,
    readonly lineageHash: string,
    readonly lineage: Lineage,
  ) {}

  toString(): string {
    return `${this.runId}-${this.dataType}-${this.lineageHash}`;
  }
}
