/**
 * The review's HTML report in a real browser: Debian's Chromium driven by playwright-core,
 * headless, fresh profile, no network (the page is loaded with setContent: it must be
 * self-contained). Checks that every chart's SVG and bars have real size on screen, that the bar
 * lengths follow the figures, and that the screenshot is not blank. Skips, saying why, where
 * Chromium is missing (`apt-get install -y chromium`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRoutingConfigFile } from '../../src/config-file.ts';
import { computeReview } from '../../src/revops/review.ts';
import { formatReviewHtml } from '../../src/revops/review-html.ts';
import { DATA, NOW } from '../fixtures/revops/review-data.ts';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium)
  console.warn(
    `SKIP review report browser test: ${CHROMIUM} not found (apt-get install -y chromium)`,
  );
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

describe.skipIf(!hasChromium)('review HTML report in headless Chromium', () => {
  let ctx: BrowserContext;
  let profile: string;
  let html: string;

  beforeAll(async () => {
    const { config } = await loadRoutingConfigFile('config/routing.yaml');
    html = formatReviewHtml(computeReview(DATA, config, NOW));
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-chromium-review-'));
    ctx = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1100, height: 900 },
    });
  });
  afterAll(async () => {
    await ctx?.close();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
  });

  it('renders the four charts with sized bars, and the screenshot is not blank', async () => {
    const page = await ctx.newPage();
    const requests: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith('data:') && r.url() !== 'about:blank') requests.push(r.url());
    });
    await page.setContent(html, { waitUntil: 'load' });
    expect(requests).toEqual([]); // self-contained: nothing fetched

    for (const id of ['chart-volume', 'chart-first-touch', 'chart-sla', 'chart-source']) {
      const box = await page.locator(`svg#${id}`).boundingBox();
      expect(box, id).not.toBeNull();
      expect(box!.width).toBeGreaterThan(100);
      expect(box!.height).toBeGreaterThan(20);
      expect(await page.locator(`svg#${id} rect.bar`).count(), id).toBeGreaterThan(0);
    }
    // Leads per type: strategic (4) draws a bar four times as long as partner_referral (1).
    const bars = page.locator('svg#chart-volume rect.bar');
    const widths: number[] = [];
    for (let k = 0; k < (await bars.count()); k++)
      widths.push((await bars.nth(k).boundingBox())!.width);
    expect(widths).toHaveLength(2);
    expect(widths[0]! / widths[1]!).toBeCloseTo(4, 1);

    const dir = fs.existsSync('.ci/out')
      ? '.ci/out'
      : fs.mkdtempSync(path.join(os.tmpdir(), 'sb-shot-'));
    const shot = path.join(dir, 'review-report.png');
    const png = await page.screenshot({ path: shot, fullPage: true });
    expect(png.length).toBeGreaterThan(10_000);
    // Not blank: the chart area holds the bar colour, not only white.
    const chart = await page.locator('svg#chart-volume').screenshot();
    // Decoded in the page (a string, so the test needs no DOM types): white vs bar-blue pixels.
    const colours = (await page.evaluate(`(async (b64) => {
      const img = new Image();
      img.src = 'data:image/png;base64,' + b64;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width;
      c.height = img.height;
      const g = c.getContext('2d');
      g.drawImage(img, 0, 0);
      const d = g.getImageData(0, 0, c.width, c.height).data;
      let white = 0, blue = 0;
      for (let i = 0; i < d.length; i += 4) {
        if (d[i] > 245 && d[i + 1] > 245 && d[i + 2] > 245) white++;
        // #2563eb, the first series colour
        if (Math.abs(d[i] - 0x25) < 20 && Math.abs(d[i + 1] - 0x63) < 20 && Math.abs(d[i + 2] - 0xeb) < 20) blue++;
      }
      return { white, blue, total: d.length / 4 };
    })(${JSON.stringify(chart.toString('base64'))})`)) as {
      white: number;
      blue: number;
      total: number;
    };
    expect(colours.blue).toBeGreaterThan(500);
    expect(colours.white).toBeLessThan(colours.total);
  });
});
