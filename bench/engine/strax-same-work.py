"""Helper of parity.mjs: real strax doing the parity bench's work on the same stored records, in one strax Context
without multiprocessing: load the records, find_hits, sort_by_time and find_hit_integration_bounds (hits, saved),
find_peaks, the hitlets' windows, record_links, sum_waveform and compute_widths (peaks, saved). The settings are
daqflow's defaults (min_amplitude 15, integration windows 30/200 ns, gap 700 ns, extensions 30/200 ns, at least 2
channels, 10 ms at most, 494 channels, gains 1); daqflow does more on top (natural-breaks splitting, lone hits, the
merge into peaks).

Usage: python strax-same-work.py <storage dir with daqflow's stored records> <run id>
Prints one JSON line: wall and CPU seconds of st.make, and of the same work as a plain loop over strax's functions
without the Context (load_file, the kernels, save_file: strax's own cost without its framework) and of its kernels
alone in that loop, the records'
decoded bytes, rows saved, strax's version, and which codec modules were stand-ins. Needs strax (2.2.3) importable; numba compiles the kernels on the first run (its
cache keeps them), so a run before the measured ones is the caller's business.
"""
import glob
import json
import os
import shutil
import sys
import tempfile
import time
import types

import numpy as np

# strax imports python-zstd (to save) and python-blosc at import time. Where a package mirror lacks them, stand-ins
# on zstandard (the same libzstd, at strax's level 3) and a blosc that refuses work (no plugin here uses it) let
# strax import; the output says so.
STAND_INS = []
try:
    import zstd  # noqa: F401
except ImportError:
    import zstandard

    stand_in = types.ModuleType('zstd')
    stand_in.compress = lambda data, level=3, threads=1: zstandard.ZstdCompressor(level=level, write_content_size=True).compress(memoryview(data).cast('B'))
    stand_in.decompress = lambda data: zstandard.ZstdDecompressor().decompress(data)
    sys.modules['zstd'] = stand_in
    STAND_INS.append('zstd (on zstandard)')
try:
    import blosc  # noqa: F401
except ImportError:
    def refuse(*args, **kwargs):
        raise NotImplementedError('blosc stand-in: no plugin of this benchmark saves with blosc')

    stand_in = types.ModuleType('blosc')
    stand_in.MAX_BUFFERSIZE = 2**31 - 1
    stand_in.set_releasegil = stand_in.set_nthreads = lambda *args: None
    stand_in.compress = stand_in.decompress = refuse
    sys.modules['blosc'] = stand_in
    STAND_INS.append('blosc (unused)')

import strax  # noqa: E402

N_CHANNELS = 494
TO_PE = np.ones(N_CHANNELS, dtype=np.float32)
LEFT, RIGHT = 30, 200


class StoredRecords(strax.Plugin):
    """Provides 'records' so that the Context loads daqflow's stored ones: never computed."""

    provides = 'records'
    depends_on = ()
    data_kind = 'records'
    dtype = strax.record_dtype(110)

    def compute(self):
        raise RuntimeError('the records are loaded from storage, not computed')


PEAK_DTYPE = strax.peak_dtype(n_channels=N_CHANNELS)


def hits_of(records):
    hits = strax.sort_by_time(strax.find_hits(records, min_amplitude=15))
    nothing_excluded = np.zeros(0, dtype=strax.time_dt_fields)
    strax.find_hit_integration_bounds(hits, nothing_excluded, records, save_outside_hits=(LEFT, RIGHT), n_channels=N_CHANNELS, allow_bounds_beyond_records=False)
    return hits


def peaks_of(records, hits):
    peaks = strax.find_peaks(hits, TO_PE, gap_threshold=700, left_extension=LEFT, right_extension=RIGHT, min_area=0, min_channels=2, max_duration=10_000_000, result_dtype=PEAK_DTYPE)
    # Hitlets as straxen's Peaklets makes them: each hit widened to its integration window.
    hitlets = hits.copy()
    hitlets['time'] -= (hitlets['left'] - hitlets['left_integration']) * hitlets['dt']
    hitlets['length'] = hitlets['right_integration'] - hitlets['left_integration']
    hitlets = strax.sort_by_time(hitlets)
    strax.sum_waveform(peaks, hitlets, records, strax.record_links(records), TO_PE)
    strax.compute_widths(peaks)
    return peaks


class Hits(strax.Plugin):
    provides = 'hits'
    depends_on = 'records'
    data_kind = 'hits'
    dtype = strax.hit_dtype
    compressor = 'zstd'

    def compute(self, records):
        return hits_of(records)


class Peaks(strax.Plugin):
    provides = 'peaks'
    depends_on = ('records', 'hits')
    data_kind = 'peaks'
    dtype = PEAK_DTYPE
    compressor = 'zstd'

    def compute(self, records, hits):
        return peaks_of(records, hits)


def plain_loop(records_dir, out):
    """The same work without the Context: strax's functions called chunk by chunk (load_file, the kernels, save_file)."""
    [metadata] = glob.glob(os.path.join(records_dir, '*-metadata.json'))
    with open(metadata) as f:
        chunks = json.load(f)['chunks']
    os.makedirs(out)
    kernels = 0.0
    for i, c in enumerate(chunks):
        records = strax.load_file(os.path.join(records_dir, c['filename']), 'zstd', strax.record_dtype(110))
        t = time.perf_counter()
        hits = hits_of(records)
        peaks = peaks_of(records, hits)
        kernels += time.perf_counter() - t
        strax.save_file(os.path.join(out, f'hits-{i:06d}'), hits, 'zstd')
        strax.save_file(os.path.join(out, f'peaks-{i:06d}'), peaks, 'zstd')
    return kernels


def main(storage, run):
    work = tempfile.mkdtemp(prefix='strax-same-work-')
    try:
        # The records under the name this Context looks for (its lineage hash for StoredRecords): hard links to
        # daqflow's chunk files, the metadata with the names changed.
        st = strax.Context(storage=[strax.DataDirectory(os.path.join(work, 'in'), readonly=True), strax.DataDirectory(os.path.join(work, 'out'))], register=[StoredRecords, Hits, Peaks], allow_multiprocess=False)
        key = st.key_for(run, 'records')
        [source] = glob.glob(os.path.join(storage, f'{run}-records-*'))
        old = os.path.basename(source).split('-')[-1]
        target = os.path.join(work, 'in', str(key))
        os.makedirs(target)
        for name in os.listdir(source):
            renamed = name.replace(old, key.lineage_hash)
            if name.endswith('metadata.json'):
                with open(os.path.join(source, name)) as f:
                    text = f.read().replace(old, key.lineage_hash)
                with open(os.path.join(target, renamed), 'w') as f:
                    f.write(text)
                nbytes = sum(c['nbytes'] for c in json.loads(text)['chunks'])
            else:
                try:
                    os.link(os.path.join(source, name), os.path.join(target, renamed))
                except OSError:  # another file system
                    shutil.copyfile(os.path.join(source, name), os.path.join(target, renamed))
        wall, cpu = time.perf_counter(), time.process_time()
        st.make(run, 'peaks', progress_bar=False)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu

        def rows(data_type):
            [metadata] = glob.glob(os.path.join(work, 'out', f'{run}-{data_type}-*', '*-metadata.json'))
            with open(metadata) as f:
                return sum(c['n'] for c in json.load(f)['chunks'])

        plain = time.perf_counter(), time.process_time()
        kernels = plain_loop(target, os.path.join(work, 'plain'))
        plain = time.perf_counter() - plain[0], time.process_time() - plain[1]
        print(json.dumps({'strax': strax.__version__, 'wall': wall, 'cpu': cpu, 'plain_wall': plain[0], 'plain_cpu': plain[1], 'kernels': kernels, 'nbytes': nbytes, 'hits': rows('hits'), 'peaks': rows('peaks'), 'stand_ins': STAND_INS}))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
