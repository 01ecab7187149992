// The --html page in real headless Chromium (Debian's chromium, driven by playwright-core): chart drawn, no console errors, a screenshot kept.
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportWorld } from './helpers.js';

const root = path.resolve(import.meta.dirname, '..', '..');
/** Kept after the run (CI uploads it): the page and its screenshot. */
export const ARTIFACTS = path.join(root, 'daqflow-work', 'artifacts');
const CHROMIUM = process.env.DAQFLOW_CHROMIUM ?? '/usr/bin/chromium';

describe('report-status --html', () => {
  let browser: Browser;
  beforeAll(async () => {
    // Never skipped: .ci/run installs Debian's chromium; a machine without it fails here, naming the path.
    expect(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (or set DAQFLOW_CHROMIUM)`).toBe(true);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('opens offline as one page with both availability charts drawn, without console errors, and is screenshotted', async () => {
    const world = reportWorld();
    for (const run of [1, 2, 3, 4, 8, 9, 20, 21, 22]) world.writeRun(run);
    world.writeBrokenRun(5);
    expect((await world.cli(['import'])).code).toBe(1);
    expect((await world.cli(['migrate', '3-9'])).code).toBe(0);
    const file = path.join(world.dir, 'out', 'status.html');
    const result = await world.cli(['report-status', '--compare-state', '--html', file, '-q']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('');
    const html = fs.readFileSync(file, 'utf8');
    // Self-contained: nothing is fetched from anywhere.
    expect(html).not.toMatch(/<(script|link|img|iframe)\b|url\(|https?:\/\/(?!www\.w3\.org\/2000\/svg)/i);

    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`file://${file}`);

    for (const id of ['availability-by-run', 'availability-by-time']) {
      const chart = page.locator(`svg#${id}`);
      await expect(chart.count()).resolves.toBe(1);
      const box = await chart.boundingBox();
      expect(box!.width).toBeGreaterThan(400);
      expect(box!.height).toBeGreaterThan(100);
      // One row per configured series: live, runs DB, storage, archive; import, migrate and process done (rechunk is not configured).
      expect(await chart.locator('text.label').allTextContents()).toEqual(['live', 'runs DB', 'storage', 'archive', 'import done', 'migrate done', 'process done']);
      expect(await chart.locator('rect.cell').count()).toBeGreaterThanOrEqual(7);
      expect(await chart.locator('rect.cell.full').count()).toBeGreaterThan(0);
    }
    // Run 5's cell (its import failed) is full in the live row and empty in the import row.
    const cellTitle = (row: string) => page.locator('svg#availability-by-run rect.cell title', { hasText: new RegExp(`^${row}: .* 000005 – 000005$`) }).textContent();
    await expect(cellTitle('live')).resolves.toBe('live: 1 of 1 runs, 000005 – 000005');
    await expect(cellTitle('import done')).resolves.toBe('import done: 0 of 1 runs, 000005 – 000005');
    await expect(page.locator('ol.recs li').first().textContent()).resolves.toMatch(/import: 1 failed run/);
    await expect(page.locator('body').textContent()).resolves.toContain('000005');

    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const shot = path.join(ARTIFACTS, 'report-status.png');
    await page.screenshot({ path: shot, fullPage: true });
    fs.copyFileSync(file, path.join(ARTIFACTS, 'report-status.html'));
    expect(fs.statSync(shot).size).toBeGreaterThan(10_000);
    expect(problems).toEqual([]);
    expect(requests).toEqual([`file://${file}`]);
    await page.close();
  });
});
