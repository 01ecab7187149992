// /get_data over real HTTP against an in-process server: every parameter, each limit and error, .npy read back.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DataDirectory } from '../../src/strax/storage/data-directory.js';
import { RecordView } from '../../src/strax/dtype/rows.js';
import { memoryLogger } from '../../src/log/index.js';
import { startServe, type RunningServer } from '../../src/serve/run-serve.js';
import { waitFor } from '../stages/import-helpers.js';
import { makeRows, readNpy, ROW_SPACING_NS, serveWorld, startWorld, worldConfig, writeDataset, type ServeWorld } from './helpers.js';

let world: ServeWorld;
let server: RunningServer;

beforeAll(async () => {
  world = await serveWorld({ peaks: 1000, hits: 1500 });
  server = await startWorld(world);
});
afterAll(async () => {
  await server?.stop();
});

async function get(query: string, base = server.url): Promise<{ status: number; text: string; body: Buffer; headers: Headers }> {
  const res = await fetch(`${base}/get_data?${query}`);
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, text: body.toString('utf8'), body, headers: res.headers };
}

/** int64 values of one field in a JSON reply, read from the text so nothing is rounded through a double. */
function exactInts(text: string, field: string): bigint[] {
  return [...text.matchAll(new RegExp(`"${field}":(-?\\d+)`, 'g'))].map((m) => BigInt(m[1]!));
}

function column(world: ServeWorld['peaks'], field: string, indices: number[]): (number | bigint)[] {
  const view = new RecordView(world.layout, world.rows);
  return indices.map((i) => view.get(i, field));
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('GET /get_data as JSON', () => {
  test('pads a short run id, defaults max_n to 1000 and returns every field with int64 exact', async () => {
    const r = await get('run_id=12100&target=hits');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    const rows = JSON.parse(r.text) as Record<string, unknown>[];
    expect(rows).toHaveLength(1000);
    expect(Object.keys(rows[0]!)).toEqual(world.hits.layout.fields.map((f) => f.name));
    expect(exactInts(r.text, 'time')).toEqual(column(world.hits, 'time', range(0, 1000)));
    expect(rows.map((x) => x.channel)).toEqual(column(world.hits, 'channel', range(0, 1000)));
  });

  test('max_n limits the rows; 0 and negative values mean no limit, as in microstrax', async () => {
    expect(JSON.parse((await get('run_id=012100&target=hits&max_n=7')).text)).toHaveLength(7);
    expect(JSON.parse((await get('run_id=012100&target=hits&max_n=0')).text)).toHaveLength(1500);
    expect(JSON.parse((await get('run_id=012100&target=hits&max_n=-1')).text)).toHaveLength(1500);
  });

  test('start and end are seconds from the run start in the runs DB; rows must lie fully inside', async () => {
    const r = await get('run_id=012100&target=peaks&start=1.1&end=1.2&max_n=0');
    expect(exactInts(r.text, 'time')).toEqual(column(world.peaks, 'time', range(100, 200)));
    // Only the chunks overlapping the range are read (here from the fifth of ten on), with max_n applied after.
    const late = await get('run_id=012100&target=peaks&start=1.55&end=1.7&max_n=20');
    expect(exactInts(late.text, 'time')).toEqual(column(world.peaks, 'time', range(550, 570)));
  });

  test('a time range needs both start and end; one alone is ignored like microstrax does', async () => {
    expect(JSON.parse((await get('run_id=012100&target=peaks&start=1.5&max_n=0')).text)).toHaveLength(1000);
  });

  test('sub-array fields come back as lists', async () => {
    const rows = JSON.parse((await get('run_id=012100&target=peaks&max_n=2')).text) as { data: number[]; width: number[] }[];
    expect(rows[1]!.data).toHaveLength(200);
    expect(rows[1]!.data).toEqual(Array.from({ length: 200 }, (_, j) => new RecordView(world.peaks.layout, world.peaks.rows).get(1, 'data', j)));
  });

  test('selection filters rows before max_n, with and/&, or/|, not/~, parentheses and exact int64 literals', async () => {
    const cases: [string, (i: number) => boolean][] = [
      ['area > 100 & type == 2', (i) => i > 100 && i % 3 === 2],
      ['(area < 10 or area >= 990) and not type == 0', (i) => (i < 10 || i >= 990) && i % 3 !== 0],
      ['~(type != 1) | area <= 3', (i) => i % 3 === 1 || i <= 3],
    ];
    for (const [selection, keep] of cases) {
      const r = await get(`run_id=012100&target=peaks&max_n=0&selection=${encodeURIComponent(selection)}`);
      expect(r.status, selection).toBe(200);
      expect(exactInts(r.text, 'time'), selection).toEqual(column(world.peaks, 'time', range(0, 1000).filter(keep)));
    }
    const t = column(world.peaks, 'time', [500])[0]!;
    const exact = await get(`run_id=012100&target=peaks&selection=${encodeURIComponent(`time == ${t}`)}`);
    expect(exactInts(exact.text, 'time')).toEqual([t]);
    const limited = await get(`run_id=012100&target=peaks&max_n=5&selection=${encodeURIComponent('type == 1')}`);
    expect(exactInts(limited.text, 'time')).toEqual(column(world.peaks, 'time', [1, 4, 7, 10, 13]));
  });
});

describe('GET /get_data?format=npy', () => {
  test('the .npy body holds the strax dtype and exactly the same rows', async () => {
    const r = await get('run_id=012100&target=peaks&format=npy&start=1.1&end=1.2&max_n=0');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/octet-stream');
    const npy = readNpy(r.body);
    expect(npy.descr).toBe(world.peaks.layout.descr);
    expect(npy.shape).toEqual([100]);
    expect(npy.header).toContain("'fortran_order': False");
    const size = world.peaks.layout.itemsize;
    expect(Buffer.compare(npy.data, Buffer.from(world.peaks.rows.subarray(100 * size, 200 * size)))).toBe(0);
  });

  test('unfiltered rows are streamed as they are read: every row, or the first max_n across chunk ends', async () => {
    const size = world.peaks.layout.itemsize;
    for (const [query, n] of [['max_n=0', 1000], ['max_n=250', 250]] as const) {
      const r = await get(`run_id=012100&target=peaks&format=npy&${query}`);
      expect(r.status).toBe(200);
      expect(Number(r.headers.get('content-length'))).toBe(r.body.length);
      const npy = readNpy(r.body);
      expect(npy.shape).toEqual([n]);
      expect(Buffer.compare(npy.data, Buffer.from(world.peaks.rows.subarray(0, n * size)))).toBe(0);
    }
  });

  test("chunk buffers are reused only once flushed: a stalled client's reply stays intact while others are served", async () => {
    // 61 MB in 3 MB chunks, far more than loopback socket buffers hold (4 MB to send, a paused reader's receive buffer),
    // so the stalled reply keeps a written but unflushed chunk while the other replies decode into pooled buffers.
    const { layout } = world.peaks;
    const tile = makeRows(layout, 2000, 11);
    const rows = new Uint8Array(10 * tile.length);
    const view = new RecordView(layout, rows);
    for (let t = 0; t < 10; t++) {
      rows.set(tile, t * tile.length);
      for (let i = 0; i < 2000; i++) view.set(t * 2000 + i, 'time', (view.get(t * 2000 + i, 'time') as bigint) + BigInt(t * 2000 * ROW_SPACING_NS));
    }
    await writeDataset(world.roots[0], '012106', 'peaks', layout, rows, 1000);
    const big = await startWorld(world, ['serve.max_return_mb=100']);
    let request: http.ClientRequest | undefined;
    try {
      const url = `${big.url}/get_data?run_id=012106&target=peaks&format=npy&max_n=0`;
      const stalled: Buffer[] = [];
      let resume!: () => void;
      const stalledDone = new Promise<void>((resolve, reject) => {
        request = http.get(url, (res) => {
          res.on('data', (d: Buffer) => stalled.push(d));
          res.once('data', () => {
            res.pause();
            resume = () => res.resume();
          });
          res.on('end', resolve);
          res.on('error', reject);
        }).on('error', reject);
      });
      stalledDone.catch(() => undefined); // awaited below; a failure before then must not go unhandled
      await waitFor(() => stalled.length > 0, 'the first bytes of the stalled reply');
      for (let i = 0; i < 2; i++) {
        const other = await get('run_id=012106&target=peaks&format=npy&max_n=0', big.url);
        expect(other.status).toBe(200);
        expect(Buffer.compare(readNpy(other.body).data, Buffer.from(rows))).toBe(0);
      }
      expect(Buffer.concat(stalled).length).toBeLessThan(rows.length / 2);
      resume();
      await stalledDone;
      const npy = readNpy(Buffer.concat(stalled));
      expect(npy.shape).toEqual([20_000]);
      expect(Buffer.compare(npy.data, Buffer.from(rows))).toBe(0);
    } finally {
      request?.destroy(); // a failed check leaves the stalled client paused: the server's drain would wait for it
      await big.stop();
    }
  }, 120_000);

  test.each([{ format: 'npy', run: '012105' }, { format: 'json', run: '012108' }])('a streamed $format reply whose later chunk is unreadable is cut short; an unreadable first chunk is an error reply', async ({ format, run }) => {
    const { layout, rows } = world.hits;
    await writeDataset(world.roots[1], run, 'hits', layout, rows.subarray(0, 500 * layout.itemsize), 100);
    const ds = new DataDirectory(world.roots[1]).list({ dataType: 'hits' }).find((d) => d.runId === run)!;
    const chunkFile = (i: number) => path.join(ds.path, ds.metadata!.chunks[i]!.filename!);
    fs.writeFileSync(chunkFile(3), Buffer.alloc(64, 0x5a));
    const res = await fetch(`${server.url}/get_data?run_id=${run}&target=hits&format=${format}&max_n=0`);
    expect(res.status).toBe(200);
    await expect(res.arrayBuffer()).rejects.toThrow();
    // filtered rows are loaded whole before the reply starts: the same chunk makes an error reply
    const filtered = await get(`run_id=${run}&target=hits&format=${format}&max_n=0&selection=${encodeURIComponent('area > -1')}`);
    expect(filtered.status).toBeGreaterThanOrEqual(500);
    expect(JSON.parse(filtered.text).error).toMatch(new RegExp(`${run}-hits`));
    fs.writeFileSync(chunkFile(0), Buffer.alloc(64, 0x5a));
    const first = await get(`run_id=${run}&target=hits&format=${format}&max_n=0`);
    expect(first.status).toBeGreaterThanOrEqual(500);
    expect(JSON.parse(first.text).error).toMatch(new RegExp(`${run}-hits`));
  });

  test('a reply limited by max_n stops before the next chunk; a later unreadable chunk is logged when it is needed', async () => {
    const { layout, rows } = world.hits;
    await writeDataset(world.roots[1], '012107', 'hits', layout, rows.subarray(0, 500 * layout.itemsize), 100);
    const ds = new DataDirectory(world.roots[1]).list({ dataType: 'hits' }).find((d) => d.runId === '012107')!;
    fs.writeFileSync(path.join(ds.path, ds.metadata!.chunks[1]!.filename!), Buffer.alloc(64, 0x5a));
    const logger = memoryLogger();
    const own = await startServe({ config: worldConfig(world), logger });
    try {
      const r = await get('run_id=012107&target=hits&format=npy&max_n=50', own.url);
      expect(r.status).toBe(200);
      expect(Buffer.compare(readNpy(r.body).data, Buffer.from(rows.subarray(0, 50 * layout.itemsize)))).toBe(0);
      expect(logger.messages('warn')).toEqual([]);
      const res = await fetch(`${own.url}/get_data?run_id=012107&target=hits&format=npy&max_n=150`);
      expect(res.status).toBe(200);
      await expect(res.arrayBuffer()).rejects.toThrow();
      await waitFor(() => logger.messages('warn').length > 0, 'the cut-short reply to be logged');
      expect(logger.messages('warn')[0]).toMatch(/012107 hits: reply cut short: .*012107-hits/);
    } finally {
      await own.stop();
    }
  });

  test('an empty selection result is a valid .npy with shape (0,)', async () => {
    const npy = readNpy((await get(`run_id=012100&target=hits&format=npy&selection=${encodeURIComponent('area < 0')}`)).body);
    expect(npy.shape).toEqual([0]);
    expect(npy.data.length).toBe(0);
  });
});

describe('incomplete, missing and broken requests', () => {
  test('a dataset still being written is refused unless allow_incomplete=true', async () => {
    const refused = await get('run_id=012101&target=peaks');
    expect(refused.status).toBe(404);
    expect(JSON.parse(refused.text).error).toMatch(/012101-peaks: not available .*writing.*allow_incomplete=true/);
    const partial = await get('run_id=012101&target=peaks&allow_incomplete=true&max_n=0');
    expect(partial.status).toBe(200);
    expect(exactInts(partial.text, 'time')).toEqual(column(world.peaks, 'time', range(0, 300)));
  });

  test('a run or data type that is not stored is a 404 with an error naming it', async () => {
    const run = await get('run_id=099999&target=peaks');
    expect(run.status).toBe(404);
    expect(JSON.parse(run.text)).toEqual({ error: expect.stringMatching(/^099999-peaks: not available \(not stored in .*fast, .*bulk\)$/) });
    const type = await get('run_id=012100&target=event_info');
    expect(type.status).toBe(404);
    expect(JSON.parse(type.text).error).toMatch(/^012100-event_info: not available/);
  });

  test.each([
    ['run_id missing', 'target=peaks', /run_id is required/],
    ['target missing', 'run_id=012100', /target is required/],
    ['max_n not a number', 'run_id=012100&target=peaks&max_n=ten', /max_n: "ten" is not a whole number/],
    ['max_n a float', 'run_id=012100&target=peaks&max_n=1e3', /max_n/],
    ['start not a number', 'run_id=012100&target=peaks&start=nan&end=2', /start: "nan" is not a number/],
    ['end infinite', 'run_id=012100&target=peaks&start=0&end=Infinity', /end: "Infinity"/],
    ['end before start', 'run_id=012100&target=peaks&start=2&end=1', /end \(1\) is before start \(2\)/],
    ['format unknown', 'run_id=012100&target=peaks&format=pickle', /format: "pickle" is not json or npy/],
    ['allow_incomplete not boolean', 'run_id=012100&target=peaks&allow_incomplete=maybe', /allow_incomplete: "maybe" is not true or false/],
    ['unknown parameter', 'run_id=012100&target=peaks&maxn=3', /unknown parameter "maxn" \(known: run_id, target/],
    ['repeated parameter', 'run_id=012100&run_id=012101&target=peaks', /run_id: given 2 times/],
    ['selection syntax', 'run_id=012100&target=peaks&selection=area%20%3E', /selection: expected a field name or a number at the end/],
    ['selection unknown field', 'run_id=012100&target=peaks&selection=aera%3E1', /selection: no field "aera" \(fields: time, length/],
    ['selection on a sub-array', 'run_id=012100&target=peaks&selection=data%3E1', /selection: field "data" is not a number/],
  ])('%s is a 400 with one clear line', async (_name, query, message) => {
    const r = await get(query);
    expect(r.status).toBe(400);
    const body = JSON.parse(r.text);
    expect(Object.keys(body)).toEqual(['error']);
    expect(body.error).toMatch(message);
  });
});

describe('several stored lineages', () => {
  const hashes: string[] = [];
  beforeAll(async () => {
    // Run 012103's hits in two lineages (plugin versions), in different roots; the second holds rows 100…199.
    const { layout, rows } = world.hits;
    const size = layout.itemsize;
    for (const [root, version, from] of [[world.roots[0], '1.0.0', 0], [world.roots[1], '2.0.0', 100]] as const) {
      const saver = await writeDataset(root, '012103', 'hits', layout, rows.subarray(from * size, (from + 100) * size), 50, true, version);
      hashes.push(saver.metadata.lineage_hash!);
    }
  });

  test('without lineage= the error lists the stored hashes and names the parameter', async () => {
    const r = await get('run_id=012103&target=hits');
    expect(r.status).toBe(409);
    expect(JSON.parse(r.text)).toEqual({ error: `012103-hits: several lineages stored (${[...hashes].sort().join(', ')}); choose one with lineage=<hash>` });
  });

  test('lineage= chooses one, as JSON and as npy', async () => {
    const view = new RecordView(world.hits.layout, world.hits.rows);
    for (const [i, hash] of hashes.entries()) {
      const r = await get(`run_id=012103&target=hits&max_n=0&lineage=${hash}`);
      expect(r.status).toBe(200);
      expect(exactInts(r.text, 'time')).toEqual(range(i * 100, i * 100 + 100).map((j) => view.time(j)));
      const npy = readNpy((await get(`run_id=012103&target=hits&max_n=0&format=npy&lineage=${hash}`)).body);
      expect(npy.shape).toEqual([100]);
    }
  });

  test('a lineage that is not stored is a 404 listing the stored ones', async () => {
    const r = await get('run_id=012103&target=hits&lineage=aaaaaaaaaa');
    expect(r.status).toBe(404);
    expect(JSON.parse(r.text).error).toBe(`012103-hits-aaaaaaaaaa: not available (stored lineages: ${[...hashes].sort().join(', ')})`);
  });

  test('lineage= also works when only one is stored', async () => {
    const listed = (await (await fetch(`${server.url}/api/data/012100`)).json()) as { datasets: { dataType: string; hash: string }[] };
    const hash = listed.datasets.find((d) => d.dataType === 'hits')!.hash;
    expect((await get(`run_id=012100&target=hits&max_n=5&lineage=${hash}`)).status).toBe(200);
  });
});

describe('traversal and injection attempts are refused in every parameter', () => {
  const attempts: Record<string, string[]> = {
    run_id: ['../012100', '012100/../../etc', '..', '/etc/passwd', '012100%00', "012100' OR '1'='1", '{"$gt":""}', '012100-peaks-abc', '.hidden'],
    target: ['../peaks', 'peaks/../../x', '/etc/passwd', 'peaks%00', 'peaks*', 'pea ks', '__proto__.x', 'peaks-x'],
    max_n: ['1;rm -rf /', '../1', '0x10'],
    start: ['1;ls', '../1', '1e999'],
    end: ['$(id)', '2 OR 1=1'],
    selection: ["__import__('os').system('id')", 'area > 1; rm -rf /', 'area.__class__ > 1', 'exec("x")', 'area > "1"', 'area = 1', '`id`', 'a'.repeat(1001)],
    allow_incomplete: ['true;rm', '../true'],
    format: ['../../etc/passwd', 'npy%00json'],
    lineage: ['../x', 'ABCDEFGHIJ', 'abcdefghi', 'abcdefghijk', 'abcde/ghij', 'abcdefghi*', 'abcdefgh01'],
  };
  const base: Record<string, string> = { run_id: '012100', target: 'peaks', start: '0', end: '10' };
  for (const [param, values] of Object.entries(attempts)) {
    test(`${param}`, async () => {
      for (const value of values) {
        const q = new URLSearchParams({ ...base, [param]: decodeURIComponent(value) });
        const r = await get(q.toString());
        expect(r.status, `${param}=${value}`).toBe(400);
        expect(JSON.parse(r.text).error, `${param}=${value}`).toEqual(expect.any(String));
      }
    });
  }
});

describe('limits', () => {
  let limited: RunningServer;
  beforeAll(async () => {
    limited = await startWorld(world, ['serve.max_load_mb=0.7', 'serve.max_return_mb=0.1']);
  });
  afterAll(async () => {
    await limited?.stop();
  });

  test('a load over max_load_mb is refused before anything is read (413)', async () => {
    const r = await get('run_id=012100&target=peaks&max_n=0', limited.url);
    expect(r.status).toBe(413);
    expect(JSON.parse(r.text).error).toBe('Cannot load peaks for run 012100: it would take more than 0.7 MB RAM to load.');
  });

  test('with max_n the load stops after enough whole chunks, so it fits', async () => {
    const r = await get('run_id=012100&target=peaks&max_n=10', limited.url);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toHaveLength(10);
  });

  test('a reply over max_return_mb is refused with the size and a hint (413)', async () => {
    const r = await get('run_id=012100&target=peaks&max_n=50', limited.url);
    expect(r.status).toBe(413);
    expect(JSON.parse(r.text).error).toBe('Not converting peaks for run 012100 to json since the binary data is 0.2 MB. Try lowering max_n.');
  });

  test('a request waiting longer than request_timeout_s for a load slot gets 503 and its load never runs', async () => {
    const slow = await startWorld(world, ['serve.max_concurrent_loads=1', 'serve.request_timeout_s=0.3']);
    let release!: () => void;
    const held = slow.queue.run(() => new Promise<void>((resolve) => (release = resolve)));
    try {
      const r = await get('run_id=012100&target=peaks&max_n=1', slow.url);
      expect(r.status).toBe(503);
      expect(JSON.parse(r.text).error).toMatch(/^timed out after 0.3 s/);
    } finally {
      release();
      await held;
      await slow.stop();
    }
  });

  test('a full load queue answers 503 at once instead of piling up', async () => {
    const busy = await startWorld(world, ['serve.max_concurrent_loads=1', 'serve.max_queued_loads=0']);
    let release!: () => void;
    const held = busy.queue.run(() => new Promise<void>((resolve) => (release = resolve)));
    try {
      const r = await get('run_id=012100&target=peaks&max_n=1', busy.url);
      expect(r.status).toBe(503);
      expect(JSON.parse(r.text).error).toMatch(/^busy: 1 loads running and 0 waiting/);
    } finally {
      release();
      await held;
      await busy.stop();
    }
  });
});
