// The reference TPC chain, registered in dependency order.
import { PluginRegistry } from '../engine/registry.js';
import type { ConcretePluginClass } from '../engine/plugin.js';
import { EventBasics } from './event_basics.js';
import { EventInfo } from './event_info.js';
import { Events } from './events.js';
import { Hits } from './hits.js';
import { PeakBasics } from './peak_basics.js';
import { LoneHits, Peaklets } from './peaklets.js';
import { Peaks } from './peaks.js';
import { RawRecords, SUBDETECTOR_RAW_RECORDS } from './raw_records.js';
import { Records } from './records.js';

export { EventBasics, EventInfo, Events, Hits, LoneHits, PeakBasics, Peaklets, Peaks, RawRecords, Records };

export const REFERENCE_PLUGINS: ConcretePluginClass[] = [RawRecords, ...SUBDETECTOR_RAW_RECORDS, Records, Hits, Peaklets, LoneHits, Peaks, PeakBasics, Events, EventBasics, EventInfo];

export function defaultRegistry(): PluginRegistry {
  return new PluginRegistry().register(...REFERENCE_PLUGINS);
}
