// The project's own end-to-end test: the OHIF v3 viewer, unmodified and prebuilt, in Debian's Chromium,
// against a DICOMweb server. It stores a 50-slice CT series (STOW-RS), finds it in the study list
// (QIDO-RS), opens it and checks the pixels the viewer drew (WADO-RS metadata and frames, thumbnails),
// scrolls through the stack, and fails on any failed request or console error. Run it with
// scripts/e2e/run.sh (target: Orthanc behind a CORS proxy, or any DICOMweb root URL).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { BearerMode, loadE2eConfig } from './e2e-config.ts';
import { launchChromium, type LaunchedChromium } from './launch-chromium.ts';
import { looksLikeAnImage, probePixels, type PixelStats, type PixelTarget } from './page-probes.ts';
import { prepareStudy, type SeriesManifest } from './prepare-study.ts';
import { renderOhifAppConfig, ThumbnailRendering } from './render-ohif-app-config.ts';
import { RequestLog, summarizeRequests, type LoggedRequest, type RequestKind } from './request-log.ts';
import { serveOhif, type RunningOhif } from './serve-ohif.ts';

const config = loadE2eConfig();

interface Scenario {
  readonly name: string;
  readonly slug: string;
  readonly thumbnailRendering: ThumbnailRendering;
  readonly dicomwebUrl: string;
  readonly bearerToken: string | undefined;
}

const always = config.bearerMode === BearerMode.always ? config.bearerToken : undefined;
const scenarios: Scenario[] = [
  {
    name: 'thumbnails drawn from WADO-RS frames',
    slug: 'wadors-thumbnails',
    thumbnailRendering: ThumbnailRendering.wadors,
    dicomwebUrl: config.dicomwebUrl,
    bearerToken: always,
  },
  {
    name: "the server's thumbnails",
    slug: 'server-thumbnails',
    thumbnailRendering: ThumbnailRendering.thumbnail,
    dicomwebUrl: config.dicomwebUrl,
    bearerToken: always,
  },
];
if (config.bearerToken !== undefined && config.bearerMode === BearerMode.extra) {
  scenarios.push({
    name: "a bearer token and the server's thumbnails",
    slug: 'bearer-token',
    thumbnailRendering: ThumbnailRendering.thumbnail,
    dicomwebUrl: config.bearerDicomwebUrl,
    bearerToken: config.bearerToken,
  });
}

// Milliseconds per scenario and measure; the request kinds of each scenario (written and printed at the end).
const timings: Record<string, Record<string, number>> = {};
const requestKinds: Record<string, RequestKind[]> = {};
let study: SeriesManifest;
let stowWarning: string | undefined;

beforeAll(async () => {
  mkdirSync(config.resultsDir, { recursive: true });
  const prepared = await prepareStudy({
    dicomwebUrl: config.dicomwebUrl,
    bearerToken: always,
    fixturesDir: config.fixturesDir,
    count: config.seriesCount,
    python: config.python,
  });
  study = prepared.manifest;
  timings.fixture = {};
  if (prepared.generatedMillis !== undefined) timings.fixture.generate = prepared.generatedMillis;
  if (prepared.stowMillis !== undefined) timings.fixture.stow = prepared.stowMillis;
  if (prepared.searchableMillis !== undefined) timings.fixture.searchable = prepared.searchableMillis;
  stowWarning = prepared.stowWarning;
}, 180_000);

afterAll(() => {
  const summary = {
    dicomwebUrl: config.dicomwebUrl,
    study: study?.StudyInstanceUID,
    stowWarning,
    timings,
    requestKinds,
  };
  writeFileSync(join(config.resultsDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  const report = formatReport();
  writeFileSync(join(config.resultsDir, 'report.md'), report);
  process.stdout.write(`\n${report}\n`);
});

describe.each(scenarios)('OHIF v3 with $name', (scenario) => {
  const apiOrigin = new URL(scenario.dicomwebUrl).origin;
  const dir = join(config.resultsDir, scenario.slug);
  const consoleErrors: string[] = [];
  const marks: Record<string, number> = {};
  let ohif: RunningOhif;
  let browser: LaunchedChromium;
  let page: Page;
  let log: RequestLog;
  let failedStep: string | undefined;
  let viewport: PixelStats;
  // The hash of every slice drawn so far, in order.
  const slices: string[] = [];

  beforeAll(async () => {
    mkdirSync(dir, { recursive: true });
    timings[scenario.slug] = {};
    ohif = await serveOhif({
      distDir: config.ohifDist,
      crossOriginIsolated: config.crossOriginIsolated,
      appConfig: renderOhifAppConfig({
        dicomwebUrl: scenario.dicomwebUrl,
        thumbnailRendering: scenario.thumbnailRendering,
        bearerToken: scenario.bearerToken,
      }),
    });
    browser = await launchChromium({ executablePath: config.chromium });
    // A fresh profile would start the viewer's onboarding tour, whose pop-up sits over the viewport; a
    // returning user has seen it (OHIF keeps the shown tours in localStorage).
    await browser.context.addInitScript(() => localStorage.setItem('shownTours', JSON.stringify(['basicViewerTour'])));
    log = new RequestLog(browser.context);
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(`${message.text()} (${message.location().url})`);
    });
    page.on('pageerror', (error) => consoleErrors.push(`uncaught: ${error.stack ?? error.message}`));
  }, 60_000);

  afterAll(async () => {
    if (log) {
      await log.settle();
      writeFileSync(join(dir, 'requests.json'), `${JSON.stringify(log.requests, null, 2)}\n`);
      requestKinds[scenario.slug] = summarizeRequests(log.to(apiOrigin), scenario.dicomwebUrl);
    }
    writeFileSync(join(dir, 'console-errors.txt'), consoleErrors.join('\n'));
    await browser?.close();
    await ohif?.close();
  }, 60_000);

  /** A step of the walk through the viewer: skipped once one failed; a failure leaves a screenshot. */
  const step = (title: string, fn: () => Promise<void>, timeout = 180_000) =>
    it(
      title,
      async () => {
        if (failedStep !== undefined) throw new Error(`Not run: the step "${failedStep}" failed`);
        try {
          await fn();
        } catch (error) {
          failedStep = title;
          const file = join(dir, `failed-${slugOf(title)}.png`);
          await page.screenshot({ path: file }).catch(() => undefined);
          await log.settle();
          throw new Error(
            `${(error as Error).message}\nScreenshot: ${file}\n${describeProblems(log.requests, apiOrigin, consoleErrors)}`,
            { cause: error },
          );
        }
      },
      timeout,
    );

  step('lists the study with its description, modality and number of instances', async () => {
    const started = log.now();
    await page.goto(`${ohif.origin}/`);
    // The row of our patient (PatientID is unique to the fixture), then its cells once the description is in
    // (the row shows "No Description" when QIDO-RS did not return StudyDescription for the includefield).
    const row = page.locator('tr', { hasText: study.PatientID });
    await row.waitFor({ state: 'visible', timeout: 60_000 });
    const cells = await waitFor(
      'the study description in the study list row',
      () => row.locator('td').allInnerTexts(),
      (texts) => texts.map((t) => t.trim()).includes(study.StudyDescription),
      10_000,
    );
    timings[scenario.slug].studyList = log.now() - started;
    const texts = cells.map((t) => t.trim());
    expect(texts).toContain(study.Modality);
    expect(texts).toContain(`${study.count}`);
  });

  step('shows the series of the selected study with its number of instances', async () => {
    await page.locator('tr', { hasText: study.PatientID }).click();
    // The study panel shows each series (QIDO-RS of the study's series), as a table row or, when thumbnails
    // come from the server, as a thumbnail card; either way its description with the number of instances.
    const label = page.getByText(study.SeriesDescription, { exact: true }).first();
    await label.waitFor({ state: 'visible', timeout: 30_000 });
    const around = await label.locator('xpath=ancestor::*[position() <= 4]').allInnerTexts();
    const count = new RegExp(`(^|\\s)${study.count}(\\s|$)`);
    expect(around.filter((text) => count.test(text))).not.toEqual([]);
  });

  step('opens the study and draws the first image', async () => {
    await page.getByRole('button', { name: 'Basic Viewer' }).click();
    marks.opened = log.now();
    const [stats] = await waitFor(
      'an image in the viewport canvas',
      () => probe(page, 'viewport'),
      ([s]) => looksLikeAnImage(s),
      60_000,
    );
    timings[scenario.slug].firstImage = log.now() - marks.opened;
    viewport = stats!;
    slices.push(viewport.hash);
  });

  step(`draws the series thumbnail (thumbnailRendering '${scenario.thumbnailRendering}')`, async () => {
    const thumbnails = await waitFor(
      'a drawn thumbnail for every series',
      () => probe(page, 'thumbnails'),
      (all) => all.length > 0 && all.every((s) => looksLikeAnImage(s)),
      60_000,
    );
    timings[scenario.slug].thumbnails = log.now() - marks.opened;
    expect(thumbnails).toHaveLength(1);
    if (scenario.thumbnailRendering === ThumbnailRendering.thumbnail) {
      // OHIF falls back to drawing a frame when the server's thumbnail fails: the pixels alone do not tell
      // that the server delivered one. Its answers do (PS3.18 §9.5.1: Accept image/jpeg).
      await log.settle();
      const answers = log
        .to(apiOrigin)
        .filter((r) => new URL(r.url).pathname.endsWith('/thumbnail'))
        .map((r) => `${r.status} ${r.contentType ?? ''}`);
      expect(answers.length).toBeGreaterThan(0);
      expect(answers.filter((a) => !/^200 image\//.test(a))).toEqual([]);
    }
  });

  // Before any interaction: a scroll moves cornerstone's stack prefetch to the new position.
  step('loads every frame of the series', async () => {
    const frames = await waitFor(
      `all ${study.count} frames fetched with WADO-RS`,
      async () => framesFetched(log.to(apiOrigin)),
      (fetched) => fetched.size >= study.count,
      120_000,
    );
    timings[scenario.slug].allFrames = Math.max(...frames.values()) - marks.opened;
  });

  step('changes the image when the mouse wheel scrolls the stack', async () => {
    await moveMouseToViewport(page);
    const started = log.now();
    await page.mouse.wheel(0, 100);
    const [next] = await waitFor(
      'a different image after one wheel step',
      () => probe(page, 'viewport'),
      ([s]) => looksLikeAnImage(s) && s!.hash !== viewport.hash,
      30_000,
    );
    timings[scenario.slug].scrollStep = log.now() - started;
    viewport = next!;
    slices.push(viewport.hash);
  });

  step('draws a different image on every slice of the stack', async () => {
    const started = log.now();
    // The first wheel step went from slice 1 to 2; the rest of the stack is count - 2 more.
    for (let slice = 3; slice <= study.count; slice++) {
      await page.mouse.wheel(0, 100);
      const [next] = await waitFor(
        `slice ${slice} drawn`,
        () => probe(page, 'viewport'),
        ([s]) => looksLikeAnImage(s) && s!.hash !== viewport.hash,
        30_000,
      );
      viewport = next!;
      slices.push(viewport.hash);
    }
    timings[scenario.slug].scrollAll = log.now() - started;
    await page.screenshot({ path: join(dir, 'viewer.png') });
    // Every slice has its own anatomy and noise: all images differ (a repeated frame would repeat a hash).
    expect(new Set(slices).size).toBe(study.count);
  });

  if (scenario.bearerToken !== undefined) {
    step('sends the bearer token on every DICOMweb request', async () => {
      await log.settle();
      const api = log.to(apiOrigin);
      expect(api.length).toBeGreaterThan(0);
      const without = api.filter((r) => r.authorization !== `Bearer ${scenario.bearerToken}`);
      expect(without.map((r) => `${r.method} ${r.url}`)).toEqual([]);
      if (config.bearerEnforced) {
        // The token matters: without it the same server refuses (RFC 6750 §3.1).
        const response = await fetch(`${scenario.dicomwebUrl}/studies?limit=1`, {
          headers: { Accept: 'application/dicom+json' },
        });
        expect(response.status).toBe(401);
      }
    });
  }

  // Not skipped after a failed step: the failed requests and console errors are what explains it.
  it('made no failed request and logged no console error', async () => {
    await log.settle();
    expect(describeProblems(log.requests, apiOrigin, consoleErrors)).toBe('');
  });
});

/** URL → when (log clock) the last frame request of each instance finished with 200. */
function framesFetched(requests: readonly LoggedRequest[]): Map<string, number> {
  const fetched = new Map<string, number>();
  for (const r of requests) {
    if (r.status === 200 && /\/instances\/[^/]+\/frames\/[^/]+$/.test(new URL(r.url).pathname)) {
      fetched.set(r.url, Math.max(fetched.get(r.url) ?? 0, r.endedAt));
    }
  }
  return fetched;
}

/** The pixels of the viewport or of the thumbnails, read in the page. */
function probe(page: Page, target: PixelTarget): Promise<(PixelStats | null)[]> {
  return page.evaluate(probePixels, target);
}

async function moveMouseToViewport(page: Page): Promise<void> {
  const box = await page.locator('[data-cy="viewport-pane"] canvas.cornerstone-canvas').first().boundingBox();
  if (!box) throw new Error('The viewport canvas has no bounding box');
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
}

/** Polls `probe` every 50 ms until `done` holds; the last value is in the timeout's message. */
async function waitFor<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number) {
  const deadline = performance.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await probe();
    if (done(last)) return last;
    if (performance.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${JSON.stringify(last)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Failed requests (no response, or an answer ≥ 400: from the DICOMweb server, or from the viewer's own
 * origin, where it would be the harness's fault) and console errors, one per line.
 */
function describeProblems(requests: readonly LoggedRequest[], apiOrigin: string, consoleErrors: readonly string[]) {
  const failed = requests.filter((r) => r.failure !== undefined || r.status >= 400);
  return [
    ...failed.map((r) => {
      const where = new URL(r.url).origin === apiOrigin ? 'DICOMweb' : 'viewer';
      return `failed ${where} request: ${r.method} ${r.url} → ${r.failure ?? r.status} (Accept: ${r.accept ?? '-'})`;
    }),
    ...consoleErrors.map((e) => `console error: ${e}`),
  ].join('\n');
}

const slugOf = (title: string) =>
  title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

const measures: readonly [string, string][] = [
  ['studyList', 'study list (page load → row with description)'],
  ['firstImage', 'first image (open → pixels in the viewport)'],
  ['thumbnails', 'thumbnails (open → drawn)'],
  ['scrollStep', 'one wheel step (wheel → new pixels)'],
  ['allFrames', `all frames fetched (open → last frame)`],
  ['scrollAll', 'scrolling through the rest of the stack'],
];

function formatReport(): string {
  const ms = (value: number | undefined) => (value === undefined ? '–' : `${Math.round(value)} ms`);
  const lines = [`## OHIF v3 end-to-end: ${config.dicomwebUrl}`, ''];
  if (timings.fixture?.stow !== undefined) {
    lines.push(
      `STOW-RS of the ${study?.count}-slice series: ${ms(timings.fixture.stow)}, then searchable (QIDO-RS) after ` +
        `${ms(timings.fixture.searchable)}${stowWarning ? ` (Warning: ${stowWarning})` : ''}`,
      '',
    );
  }
  lines.push(
    `| measure | ${scenarios.map((s) => s.slug).join(' | ')} |`,
    `|---|${scenarios.map(() => '---:').join('|')}|`,
  );
  for (const [key, label] of measures) {
    lines.push(`| ${label} | ${scenarios.map((s) => ms(timings[s.slug]?.[key])).join(' | ')} |`);
  }
  lines.push('', '### Requests the viewer made to the DICOMweb server (n per scenario)', '');
  lines.push(
    `| method | resource (below the root) | Accept | ${scenarios.map((s) => s.slug).join(' | ')} | status | Content-Type |`,
  );
  lines.push(`|---|---|---|${scenarios.map(() => '---:').join('|')}|---|---|`);
  const rows = new Map<
    string,
    { kind: RequestKind; counts: Record<string, number>; statuses: Set<number>; types: Set<string> }
  >();
  for (const scenario of scenarios) {
    for (const kind of requestKinds[scenario.slug] ?? []) {
      const key = `${kind.method} ${kind.resource} ${kind.accept}`;
      const row = rows.get(key) ?? { kind, counts: {}, statuses: new Set(), types: new Set() };
      row.counts[scenario.slug] = kind.count;
      kind.statuses.forEach((status) => row.statuses.add(status));
      kind.contentTypes.forEach((type) => row.types.add(type));
      rows.set(key, row);
    }
  }
  for (const { kind, counts, statuses, types } of rows.values()) {
    const n = scenarios.map((s) => counts[s.slug] ?? '–').join(' | ');
    lines.push(
      `| ${kind.method} | \`${kind.resource}\` | \`${kind.accept}\` | ${n} | ${[...statuses].join(', ')} | ${[...types].join(', ')} |`,
    );
  }
  const auth = scenarios.filter((s) => s.bearerToken !== undefined).map((s) => s.slug);
  if (auth.length > 0) lines.push('', `With \`Authorization: Bearer …\` on every request: ${auth.join(', ')}.`);
  return `${lines.join('\n')}\n`;
}
