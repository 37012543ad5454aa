// Prints the OHIF timings of bench/ohif/run.sh side by side: for each scenario and measure, the median over
// the rounds against Orthanc and against ours, and the ratio Orthanc / ours (> 1: ours is faster).
// Usage: node bench/ohif/compare.ts <results folder> <rounds>
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

type Timings = Record<string, Record<string, number>>;

const [folder, roundsText] = process.argv.slice(2);
if (!folder || !roundsText) throw new Error('usage: node bench/ohif/compare.ts <results folder> <rounds>');
const rounds = Number(roundsText);

const timingsOf = (server: string, round: number): Timings =>
  (JSON.parse(readFileSync(join(folder, `${server}-${round}`, 'summary.json'), 'utf8')) as { timings: Timings })
    .timings;

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const measures: [string, string][] = [
  ['studyList', 'study list (page load → row with description)'],
  ['firstImage', 'first image (open → pixels in the viewport)'],
  ['thumbnails', 'thumbnails (open → drawn)'],
  ['allFrames', 'all frames fetched (open → last frame)'],
  ['scrollStep', 'one wheel step (wheel → new pixels)'],
  ['scrollAll', 'scrolling through the rest of the stack'],
];
const scenarios = ['wadors-thumbnails', 'server-thumbnails'];
const runs = Array.from({ length: rounds }, (_, i) => i + 1);
const orthanc = runs.map((r) => timingsOf('orthanc', r));
const ours = runs.map((r) => timingsOf('ours', r));

const lines = [
  `## OHIF v3 in Chromium: Orthanc (behind a CORS proxy) and this PACS, medians of ${rounds} round(s), ms`,
  '',
  '| scenario | measure | Orthanc | ours | Orthanc / ours |',
  '|---|---|---:|---:|---:|',
];
for (const scenario of scenarios) {
  for (const [key, label] of measures) {
    const values = (all: Timings[]) => all.map((t) => t[scenario]?.[key]).filter((v): v is number => v !== undefined);
    const o = values(orthanc);
    const u = values(ours);
    if (o.length === 0 || u.length === 0) continue;
    const [mo, mu] = [median(o), median(u)];
    lines.push(`| ${scenario} | ${label} | ${mo.toFixed(0)} | ${mu.toFixed(0)} | ${(mo / mu).toFixed(2)}× |`);
  }
}
console.log(lines.join('\n'));
