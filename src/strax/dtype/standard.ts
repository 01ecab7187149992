// strax's standard dtypes (raw_records, records, hits, peaks) as layouts, with titles exactly as strax 2.2.3 writes them.
import { makeLayout, type FieldSpec, type RecordLayout } from './layout.js';

export const DEFAULT_RECORD_LENGTH = 110;
/** Channel number strax gives to summed waveforms (peaks). */
export const DIGITAL_SUM_WAVEFORM_CHANNEL = -1;

const f = (title: string, name: string, typestr: string, shape?: number[]): FieldSpec => ({ title, name, typestr, shape });

const TIME = f('Start time since unix epoch [ns]', 'time', '<i8');
const LENGTH = f('Length of the interval in samples', 'length', '<i4');
const DT = f('Width of one sample [ns]', 'dt', '<i2');
const CHANNEL = f('Channel/PMT number', 'channel', '<i2');
const PULSE_LENGTH = f('Length of pulse to which the record belongs (without zero-padding)', 'pulse_length', '<i4');
const RECORD_I = f('Fragment number in the pulse', 'record_i', '<i2');

/** `strax.raw_record_dtype(samples)`: 244 bytes per row for 110 samples. */
export function rawRecordDtype(samples = DEFAULT_RECORD_LENGTH): RecordLayout {
  return makeLayout([
    TIME, LENGTH, DT, CHANNEL, PULSE_LENGTH, RECORD_I,
    f('Baseline determined by the digitizer (if this is supported)', 'baseline', '<i2'),
    f('Waveform data in raw ADC counts', 'data', '<i2', [samples]),
  ]);
}

/** `strax.record_dtype(samples)`: 257 bytes per row for 110 samples (baseline f4 at odd offset 27). */
export function recordDtype(samples = DEFAULT_RECORD_LENGTH): RecordLayout {
  return makeLayout([
    TIME, LENGTH, DT, CHANNEL, PULSE_LENGTH, RECORD_I,
    f('Integral in ADC counts x samples', 'area', '<i4'),
    f('Level of data reduction applied (strax.ReductionLevel enum)', 'reduction_level', '|u1'),
    f('Baseline in ADC counts. data = int(baseline) - data_orig', 'baseline', '<f4'),
    f('Baseline RMS in ADC counts. data = baseline - data_orig', 'baseline_rms', '<f4'),
    f('Multiply data by 2**(this number). Baseline is unaffected.', 'amplitude_bit_shift', '<i2'),
    f('Waveform data in raw counts above integer part of baseline', 'data', '<i2', [samples]),
  ]);
}

/**
 * `strax.hit_dtype`: 48 bytes per row. The fixtures hold no hits, so these titles come from the strax source;
 * the `max_time` title is not verified against strax output (layout and offsets are).
 */
export function hitDtype(): RecordLayout {
  return makeLayout([
    TIME, LENGTH, DT, CHANNEL,
    f('Integral [ADC x samples]', 'area', '<f4'),
    f('Index of sample in record in which hit starts', 'left', '<i2'),
    f('Index of first sample in record just beyond hit (exclusive bound)', 'right', '<i2'),
    f('For lone hits, index of sample in record where integration starts', 'left_integration', '<i2'),
    f('For lone hits, index of first sample beyond integration region', 'right_integration', '<i2'),
    f('Internal (temporary) index of fragment in which hit was found', 'record_i', '<i4'),
    f('ADC threshold applied in order to find hits', 'threshold', '<f4'),
    f('Maximum amplitude above baseline [ADC counts]', 'height', '<f4'),
    f('Index of sample with hit maximum', 'max_time', '<i8'),
  ]);
}

export interface PeakDtypeOptions {
  nChannels?: number;
  nSamples?: number;
  nWidths?: number;
  /** Store the top-array waveform `data_top` (strax `digitize_top` / `store_data_top`). Default true. */
  digitizeTop?: boolean;
  /** Store `data_start` (first samples before downsampling). Default true. */
  storeDataStart?: boolean;
  /** Add max_diff, min_diff, first_channel, last_channel. Default true. */
  hitsTiming?: boolean;
}

/** `strax.peak_dtype(...)`: 3055 bytes per row with the defaults (100 channels, 200 samples, 11 widths). */
export function peakDtype(options: PeakDtypeOptions = {}): RecordLayout {
  const { nChannels = 100, nSamples = 200, nWidths = 11, digitizeTop = true, storeDataStart = true, hitsTiming = true } = options;
  if (nChannels === 1) throw new RangeError('peakDtype: nChannels must be more than 1 (strax refuses 1)');
  const wf = 'Waveform data in PE/sample (not PE/ns!)';
  const fields: FieldSpec[] = [
    TIME, LENGTH, f('Width of one sample [ns]', 'dt', '<i4'), CHANNEL,
    f('Classification of the peak(let)', 'type', '|i1'),
    f('Integral across channels [PE]', 'area', '<f4'),
    f('Fraction of area seen by the top array', 'area_fraction_top', '<f4'),
    f('Integral per channel [PE]', 'area_per_channel', '<f4', [nChannels]),
    f('Number of hits contributing at least one sample to the peak ', 'n_hits', '<i4'),
  ];
  if (digitizeTop) fields.push(f(`${wf}, top array`, 'data_top', '<f4', [nSamples]));
  if (storeDataStart) fields.push(f(`${wf}, starting not downsampled samples`, 'data_start', '<f4', [nSamples]));
  fields.push(
    f(wf, 'data', '<f4', [nSamples]),
    f('Weighted average center time of the peak [ns]', 'center_time', '<i8'),
    f('Weighted relative median time of the peak [ns]', 'median_time', '<f4'),
    f('Peak widths in range of central area fraction [ns]', 'width', '<f4', [nWidths]),
    f('Peak widths: time between nth and 5th area decile [ns]', 'area_decile_from_midpoint', '<f4', [nWidths]),
    f('Does the channel reach ADC saturation?', 'saturated_channel', '|i1', [nChannels]),
    f('Total number of saturated channels', 'n_saturated_channels', '<i2'),
    f('Channel within tight range of mean', 'tight_coincidence', '<i2'),
    f('Largest gap between hits inside peak [ns]', 'max_gap', '<i4'),
    f('Maximum interior goodness of split', 'max_goodness_of_split', '<f4'),
  );
  if (hitsTiming) {
    fields.push(
      f('Largest time difference between apexes of hits inside peak [ns]', 'max_diff', '<i4'),
      f('Smallest time difference between apexes of hits inside peak [ns]', 'min_diff', '<i4'),
      f('First channel/PMT number inside peak (sorted by apexes of hits)', 'first_channel', '<i2'),
      f('Last channel/PMT number inside peak (sorted by apexes of hits)', 'last_channel', '<i2'),
    );
  }
  return makeLayout(fields);
}
