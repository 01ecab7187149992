// Real headless Chromium for page tests: Debian's chromium through playwright-core, pages that record every console
// error/warning and request, and screenshots kept as CI artifacts.
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';

/** Kept after the run (CI uploads it): pages and their screenshots. */
export const ARTIFACTS = path.resolve(import.meta.dirname, '..', '..', 'daqflow-work', 'artifacts');
const CHROMIUM = process.env.DAQFLOW_CHROMIUM ?? '/usr/bin/chromium';

/** Never skipped: .ci/run installs Debian's chromium; a machine without it fails here, naming the path. */
export async function launchChromium(): Promise<Browser> {
  expect(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (or set DAQFLOW_CHROMIUM)`).toBe(true);
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

export interface WatchedPage {
  page: Page;
  /** Console errors and warnings, and uncaught page errors. */
  problems: string[];
  /** Every URL the page requested. */
  requests: string[];
}

export async function openWatchedPage(browser: Browser): Promise<WatchedPage> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('request', (r) => requests.push(r.url()));
  return { page, problems, requests };
}

/** A full-page screenshot under ARTIFACTS; asserts it holds a rendered page, not a blank one. */
export async function keepScreenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const shot = path.join(ARTIFACTS, name);
  await page.screenshot({ path: shot, fullPage: true });
  expect(fs.statSync(shot).size).toBeGreaterThan(10_000);
  return shot;
}
