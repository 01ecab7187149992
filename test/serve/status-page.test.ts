// The live status page (/) in real headless Chromium (Debian's chromium through playwright-core): the report's charts
// drawn, no console errors, nothing fetched from elsewhere, and the page updating in place after a pass changes a run.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { memoryLogger } from '../../src/log/index.js';
import { startServe, type RunningServer } from '../../src/serve/run-serve.js';
import { reportWorld, type ReportWorld } from '../report/helpers.js';
import { keepScreenshot, launchChromium, openWatchedPage } from '../support/chromium.js';

describe('status page', () => {
  let browser: Browser;
  let world: ReportWorld;
  let server: RunningServer;

  beforeAll(async () => {
    world = reportWorld();
    for (const run of [1, 2, 3, 4]) world.writeRun(run);
    world.writeBrokenRun(5);
    expect((await world.cli(['import'])).code).toBe(1);
    const { config } = loadConfig({ configPath: world.configFile, env: {}, sets: ['serve.port=0', 'serve.report_refresh_s=0.3'] });
    server = await startServe({ config, logger: memoryLogger() });
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('GET /api/report is the report-status --json object', async () => {
    const api = (await (await fetch(`${server.url}/api/report`)).json()) as Record<string, any>;
    const cli = await world.cli(['report-status', '--json']);
    const printed = JSON.parse(cli.stdout) as Record<string, any>;
    const stable = (r: Record<string, any>) => ({ ...r, generated_at: null, hosts: null, disk: null });
    expect(stable(api)).toEqual(stable(printed));
    expect(api.stages.import.failed.first.map((f: { run: number }) => f.run)).toEqual([5]);
    expect((await fetch(`${server.url}/api/report?format=pdf`)).status).toBe(400);
  });

  test('shows the charts, loads nothing from elsewhere, logs no errors, and updates after a pass fixes a run', async () => {
    const { page, problems, requests } = await openWatchedPage(browser);
    let navigations = 0;
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) navigations++;
    });
    const response = await page.goto(`${server.url}/`);
    expect(response!.status()).toBe(200);
    expect(response!.headers()['content-security-policy']).toMatch(/^default-src 'none';/);

    for (const id of ['availability-by-run', 'availability-by-time']) {
      const chart = page.locator(`svg#${id}`);
      await expect(chart.count()).resolves.toBe(1);
      // The body is swapped every 0.3 s, so an element found a moment ago may be detached: ask until one answers.
      await expect.poll(async () => (await chart.boundingBox())?.width ?? 0, { timeout: 30_000 }).toBeGreaterThan(400);
      await expect.poll(async () => (await chart.boundingBox())?.height ?? 0, { timeout: 30_000 }).toBeGreaterThan(100);
      expect(await chart.locator('rect.cell').count()).toBeGreaterThanOrEqual(5);
      expect(await chart.locator('rect.cell.full').count()).toBeGreaterThan(0);
    }
    const importCell = (state: string) => page.locator('svg#availability-by-run rect.cell title', { hasText: `import done: ${state}, 000005 – 000005` });
    await expect(importCell('0 of 1 runs').count()).resolves.toBe(1);

    // The page refreshes itself in place (no reload) by fetching /api/report.
    await page.locator('body[data-refreshes]').waitFor({ state: 'attached', timeout: 30_000 });
    world.writeRun(5);
    expect((await world.cli(['import', '--retry-failed-import'])).code).toBe(0);
    await importCell('1 of 1 runs').waitFor({ state: 'attached', timeout: 30_000 });
    await expect(page.locator('#daqflow-live').textContent()).resolves.toMatch(/^live: refreshed at /);
    expect(navigations).toBe(1);

    await keepScreenshot(page, 'serve-status-page.png');
    expect(problems).toEqual([]);
    expect(requests.filter((u) => !u.startsWith(`${server.url}/`))).toEqual([]);
    expect(requests.some((u) => u === `${server.url}/api/report?format=html`)).toBe(true);
    await page.close();
  }, 120_000);
});
