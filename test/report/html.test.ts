// The --html page in real headless Chromium (Debian's chromium, driven by playwright-core): chart drawn, no console errors, a screenshot kept.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, keepScreenshot, launchChromium, openWatchedPage } from '../support/chromium.js';
import { reportWorld } from './helpers.js';

describe('report-status --html', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
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

    const { page, problems, requests } = await openWatchedPage(browser);
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

    await keepScreenshot(page, 'report-status.png');
    fs.copyFileSync(file, path.join(ARTIFACTS, 'report-status.html'));
    expect(problems).toEqual([]);
    expect(requests).toEqual([`file://${file}`]);
    await page.close();
  });
});
