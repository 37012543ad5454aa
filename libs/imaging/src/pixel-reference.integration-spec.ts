// Checks the pixel pipeline against references we did not write: the corpus of
// libs/imaging/test/generate-pixel-corpus.py, made and decoded by pydicom (with pylibjpeg, pyjpegls,
// imagecodecs' libjpeg-turbo and OpenJPH). Needs python3 with scripts/test-env/requirements.txt.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dicomParser from 'dicom-parser';
import { writeFileSync } from 'node:fs';
import {
  decodeFrame,
  type DecodedFrame,
  type DicomJsonDataset,
  encodeFrame,
  encodableTransferSyntaxes,
  lookup,
  type PixelModule,
  pixelModuleOf,
  renderPixels,
  transcodeSupport,
  TransferSyntax,
} from '@pacs/imaging';

interface CorpusCase {
  name: string;
  file: string;
  transferSyntax: string;
  lossy: boolean;
  tolerance: number;
  frames: number;
  rows: number;
  columns: number;
  samplesPerPixel: number;
  dtype: string;
  expected: string;
  decodedPhotometric: string;
  dataset: DicomJsonDataset;
}
interface Manifest {
  cases: CorpusCase[];
  windows: {
    case: string;
    center: number;
    width: number;
    function: string;
    yMin: number;
    yMax: number;
    output: string;
    modalityLut?: boolean;
  }[];
  voiLuts: { case: string; bits: number; output: string }[];
  palettes: { case: string; dtype: string; output: string }[];
}

const dir = mkdtempSync(join(tmpdir(), 'pixel-corpus-'));
let manifest: Manifest;

beforeAll(() => {
  execFileSync('python3', [join(__dirname, '..', 'test', 'generate-pixel-corpus.py'), dir], { stdio: 'pipe' });
  manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const typed = (dtype: string, bytes: Buffer): ArrayLike<number> => {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  switch (dtype) {
    case 'uint8':
      return new Uint8Array(buffer);
    case 'int8':
      return new Int8Array(buffer);
    case 'uint16':
      return new Uint16Array(buffer);
    case 'int16':
      return new Int16Array(buffer);
    case 'uint32':
      return new Uint32Array(buffer);
    case 'int32':
      return new Int32Array(buffer);
    case 'float64':
      return new Float64Array(buffer);
    default:
      throw new Error(`dtype ${dtype}`);
  }
};

const caseNamed = (name: string): CorpusCase => manifest.cases.find((c) => c.name === name)!;

/** The frames of a Part 10 file, read with dicom-parser: native slices or each frame's fragments. */
function framesOf(
  path: string,
  pm: PixelModule,
): { transferSyntax: string; frames: Uint8Array[]; bitOffsets: number[] } {
  const bytes = readFileSync(path);
  const ds = dicomParser.parseDicom(bytes);
  const transferSyntax = ds.string('x00020010')!.trim();
  const element = ds.elements.x7fe00010;
  const frames: Uint8Array[] = [];
  const bitOffsets: number[] = [];
  if (element.encapsulatedPixelData) {
    const fragments = element.fragments ?? [];
    if (fragments.length === pm.numberOfFrames) {
      for (let f = 0; f < pm.numberOfFrames; f++)
        frames.push(dicomParser.readEncapsulatedPixelDataFromFragments(ds, element, f, 1));
    } else {
      for (let f = 0; f < pm.numberOfFrames; f++) frames.push(dicomParser.readEncapsulatedImageFrame(ds, element, f));
    }
  } else {
    const pixelData = ds.byteArray.subarray(element.dataOffset, element.dataOffset + element.length);
    const subsampled = pm.photometricInterpretation === 'YBR_FULL_422';
    const samples = pm.rows * pm.columns * (subsampled ? 2 : pm.samplesPerPixel);
    const frameBits = samples * pm.bitsAllocated;
    for (let f = 0; f < pm.numberOfFrames; f++) {
      const startBit = f * frameBits;
      frames.push(pixelData.subarray(Math.floor(startBit / 8), Math.ceil((startBit + frameBits) / 8)));
      bitOffsets.push(startBit % 8);
    }
  }
  return { transferSyntax, frames, bitOffsets };
}

async function decodeCase(c: CorpusCase): Promise<{ pm: PixelModule; decoded: DecodedFrame[]; frames: Uint8Array[] }> {
  const pm = pixelModuleOf(c.dataset);
  const { transferSyntax, frames, bitOffsets } = framesOf(join(dir, c.file), pm);
  expect(transferSyntax).toBe(c.transferSyntax);
  const decoded: DecodedFrame[] = [];
  for (let f = 0; f < frames.length; f++)
    decoded.push(await decodeFrame(transferSyntax, frames[f], pm, { bitOffset: bitOffsets[f] ?? 0 }));
  return { pm, decoded, frames };
}

describe('decodeFrame against pydicom', () => {
  it('decodes every corpus case like pydicom: exactly when lossless, within the tolerance when lossy', async () => {
    const failures: string[] = [];
    const report: string[] = [];
    for (const c of manifest.cases) {
      try {
        const { decoded } = await decodeCase(c);
        const expected = typed(c.dtype, readFileSync(join(dir, c.expected)));
        const perFrame = c.rows * c.columns * c.samplesPerPixel;
        let maxError = 0;
        let sumError = 0;
        for (let f = 0; f < c.frames; f++) {
          const d = decoded[f];
          if (d.photometricInterpretation !== c.decodedPhotometric) {
            failures.push(
              `${c.name}: photometric ${d.photometricInterpretation}, pydicom gives ${c.decodedPhotometric}`,
            );
          }
          for (let i = 0; i < perFrame; i++) {
            const e = Math.abs(d.pixels[i] - expected[f * perFrame + i]);
            sumError += e;
            if (e > maxError) maxError = e;
          }
        }
        if (c.lossy) report.push(`${c.name}: max ${maxError}, mean ${(sumError / (perFrame * c.frames)).toFixed(3)}`);
        if (maxError > c.tolerance) failures.push(`${c.name}: max difference ${maxError} > ${c.tolerance}`);
      } catch (error) {
        failures.push(`${c.name}: ${(error as Error).message}`);
      }
    }
    console.log(report.join('\n'));
    expect(failures).toEqual([]);
  });
});

describe('rendering against PS3.3 C.11 and pydicom', () => {
  // PS3.3 C.11.2.1.2.1 and C.11.2.1.3, written here from the standard's text, output range 0..255.
  const standardWindow = (x: number, c: number, w: number, fn: string): number => {
    const yMin = 0;
    const yMax = 255;
    if (fn === 'LINEAR') {
      if (x <= c - 0.5 - (w - 1) / 2) return yMin;
      if (x > c - 0.5 + (w - 1) / 2) return yMax;
      return ((x - (c - 0.5)) / (w - 1) + 0.5) * (yMax - yMin) + yMin;
    }
    if (fn === 'LINEAR_EXACT') {
      if (x <= c - w / 2) return yMin;
      if (x > c + w / 2) return yMax;
      return ((x - c) / w + 0.5) * (yMax - yMin) + yMin;
    }
    return (yMax - yMin) / (1 + Math.exp((-4 * (x - c)) / w)) + yMin;
  };

  it('renders every window of the corpus like the standard formulas, and like pydicom apply_voi_lut within 1', async () => {
    const failures: string[] = [];
    for (const w of manifest.windows) {
      const { pm, decoded } = await decodeCase(caseNamed(w.case));
      const frame = decoded[0];
      const ours = renderPixels(frame, pm, { center: w.center, width: w.width, function: w.function as 'LINEAR' }).data;
      const pyd = typed('float64', readFileSync(join(dir, w.output)));
      let formulaMismatches = 0;
      let pydicomMismatches = 0;
      for (let i = 0; i < ours.length; i++) {
        if (!w.modalityLut) {
          const x = frame.pixels[i] * (pm.rescaleSlope ?? 1) + (pm.rescaleIntercept ?? 0);
          if (ours[i] !== Math.round(standardWindow(x, w.center, w.width, w.function))) formulaMismatches++;
        }
        const fromPydicom = Math.round(((pyd[i] - w.yMin) / (w.yMax - w.yMin)) * 255);
        if (Math.abs(ours[i] - fromPydicom) > 1) pydicomMismatches++;
      }
      if (formulaMismatches)
        failures.push(`${w.function} ${w.center}/${w.width}: ${formulaMismatches} pixels differ from the formula`);
      if (pydicomMismatches)
        failures.push(
          `${w.function} ${w.center}/${w.width}: ${pydicomMismatches} pixels differ from pydicom by more than 1`,
        );
    }
    expect(manifest.windows.length).toBeGreaterThanOrEqual(16);
    expect(failures).toEqual([]);
  });

  it('applies the VOI LUT Sequence like pydicom apply_voi_lut', async () => {
    for (const v of manifest.voiLuts) {
      const { pm, decoded } = await decodeCase(caseNamed(v.case));
      expect(pm.windows).toEqual([]);
      const ours = renderPixels(decoded[0], pm).data;
      const pyd = typed('float64', readFileSync(join(dir, v.output)));
      const expected = Array.from({ length: ours.length }, (_, i) => Math.round((pyd[i] / (2 ** v.bits - 1)) * 255));
      expect(Array.from(ours)).toEqual(expected);
    }
  });

  it('expands plain and segmented palettes like pydicom apply_color_lut', async () => {
    for (const p of manifest.palettes) {
      const { pm, decoded } = await decodeCase(caseNamed(p.case));
      const palette = pm.palette!;
      const pyd = typed(p.dtype, readFileSync(join(dir, p.output)));
      const pixels = decoded[0].pixels;
      const ours: number[] = [];
      for (let i = 0; i < pixels.length; i++)
        ours.push(lookup(palette.red, pixels[i]), lookup(palette.green, pixels[i]), lookup(palette.blue, pixels[i]));
      expect(ours).toEqual(Array.from(pyd));
      const rendered = renderPixels(decoded[0], pm).data;
      expect(Array.from(rendered)).toEqual(Array.from(pyd, (value) => Math.round((value * 255) / 65535)));
    }
  });

  it('shows the smallest MONOCHROME1 value as white and the largest as black without a window', async () => {
    const { pm, decoded } = await decodeCase(caseNamed('mono1_u8_ele'));
    const pixels = Array.from(decoded[0].pixels);
    const rendered = renderPixels(decoded[0], pm).data;
    expect(rendered[pixels.indexOf(Math.min(...pixels))]).toBe(255);
    expect(rendered[pixels.indexOf(Math.max(...pixels))]).toBe(0);
  });
});

describe('transcoding', () => {
  const allTargets = encodableTransferSyntaxes;

  it('round-trips every lossless case through every lossless target and back, pixel-identical', async () => {
    const failures: string[] = [];
    let pairs = 0;
    let backs = 0;
    for (const c of manifest.cases.filter((k) => !k.lossy)) {
      const { pm, decoded } = await decodeCase(c);
      for (const target of allTargets) {
        if (target === c.transferSyntax || transcodeSupport(c.transferSyntax, target, pm) !== 'lossless') continue;
        pairs++;
        try {
          for (const frame of decoded) {
            const there = await encodeFrame(target, frame, pm);
            const pmThere: PixelModule = { ...pm, ...there.pixelModuleChanges };
            const decodedThere = await decodeFrame(target, there.bytes, pmThere);
            if (!samePixels(frame, decodedThere)) throw new Error(`${target} decodes to other values`);
            // back only where our encoders write the stored syntax for this data (not: colour without
            // the colour transform in HTJ2K; YBR 4:2:2 native, which decodes to full YBR)
            if (transcodeSupport(target, c.transferSyntax, pmThere) !== 'lossless') continue;
            backs++;
            const back = await encodeFrame(c.transferSyntax, decodedThere, pmThere);
            const pmBack: PixelModule = { ...pmThere, ...back.pixelModuleChanges };
            const decodedBack = await decodeFrame(c.transferSyntax, back.bytes, pmBack);
            if (!samePixels(frame, decodedBack)) throw new Error(`back in ${c.transferSyntax} the values differ`);
          }
        } catch (error) {
          failures.push(`${c.name} → ${target}: ${(error as Error).message}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(pairs).toBeGreaterThan(500);
    expect(backs).toBeGreaterThan(pairs * 0.9);
  });

  it('refuses lossy stored data into lossless compressed syntaxes but decompresses it to native', async () => {
    const c = caseNamed('mono2_u8_jpeg_baseline');
    const { pm, decoded } = await decodeCase(c);
    expect(transcodeSupport(c.transferSyntax, TransferSyntax.JPEGLSLossless, pm)).toBe('unsupported');
    await expect(encodeFrame(TransferSyntax.JPEGLSLossless, decoded[0], pm)).rejects.toMatchObject({
      code: 'UnsupportedTranscode',
    });
    expect(transcodeSupport(c.transferSyntax, TransferSyntax.ExplicitVRLittleEndian, pm)).toBe('lossless');
    const native = await encodeFrame(TransferSyntax.ExplicitVRLittleEndian, decoded[0], pm);
    expect(native.pixelModuleChanges.lossyImageCompression ?? pm.lossyImageCompression).toBe('01');
  });

  it('writes frames that pydicom decodes to the same values (lossless) or close to our own decode (lossy)', async () => {
    const jobsDir = mkdtempSync(join(tmpdir(), 'pixel-encoded-'));
    try {
      const jobs: Record<string, unknown>[] = [];
      const sources = new Map<string, { decoded: DecodedFrame[]; lossy: boolean; tolerance: number }>();
      const picked = [
        'mono2_u8_ele',
        'mono1_u8_ele',
        'mono2_u12_ele',
        'mono2_s12_ele',
        'mono2_u16_ele',
        'mono2_s16_ele',
        'rgb_u8_ele',
        'ybr_full_planar0_ele',
        'palette_u8_ele',
        'mono2_u32_ele',
      ];
      for (const name of picked) {
        const c = caseNamed(name);
        const { pm, decoded } = await decodeCase(c);
        for (const target of allTargets) {
          const kind = transcodeSupport(c.transferSyntax, target, pm);
          if (kind === 'unsupported' || target === TransferSyntax.EncapsulatedUncompressedExplicitVRLittleEndian)
            continue;
          const job = `${name}__${target}`;
          const files: string[] = [];
          let changes: Partial<PixelModule> = {};
          const ours: DecodedFrame[] = [];
          for (let f = 0; f < decoded.length; f++) {
            const encoded = await encodeFrame(target, decoded[f], pm);
            changes = encoded.pixelModuleChanges;
            writeFileSync(join(jobsDir, `${job}.${f}`), encoded.bytes);
            files.push(`${job}.${f}`);
            ours.push(await decodeFrame(target, encoded.bytes, { ...pm, ...changes }));
          }
          const photometric = changes.photometricInterpretation ?? pm.photometricInterpretation;
          jobs.push({
            name: job,
            transferSyntax: target,
            rows: pm.rows,
            columns: pm.columns,
            samplesPerPixel: pm.samplesPerPixel,
            photometricInterpretation: photometric,
            bitsAllocated: pm.bitsAllocated,
            bitsStored: pm.bitsStored,
            pixelRepresentation: pm.pixelRepresentation,
            // JPEG (DCT) colour decodes to RGB in decodeFrame; ask pydicom for RGB there too
            asRgb:
              (target === TransferSyntax.JPEGBaseline8Bit || target === TransferSyntax.JPEGExtended12Bit) &&
              pm.samplesPerPixel === 3,
            frames: files,
          });
          // lossy: our decode of our stream against pydicom's; colour JPEG differs more between libjpeg-turbo
          // and libjpeg 9 (chroma upsampling, colour conversion rounding), as in the corpus
          const jpegColour =
            pm.samplesPerPixel === 3 &&
            (target === TransferSyntax.JPEGBaseline8Bit || target === TransferSyntax.JPEGExtended12Bit);
          sources.set(
            job,
            kind === 'lossless'
              ? { decoded, lossy: false, tolerance: 0 }
              : { decoded: ours, lossy: true, tolerance: jpegColour ? 4 : 1 },
          );
        }
      }
      writeFileSync(join(jobsDir, 'jobs.json'), JSON.stringify(jobs));
      execFileSync('python3', [join(__dirname, '..', 'test', 'decode-with-pydicom.py'), jobsDir], { stdio: 'pipe' });
      const results = JSON.parse(readFileSync(join(jobsDir, 'results.json'), 'utf8')) as Record<
        string,
        { dtype?: string; error?: string }
      >;
      const failures: string[] = [];
      for (const [job, { decoded, tolerance }] of sources) {
        const result = results[job];
        if (!result?.dtype) {
          failures.push(`${job}: ${result?.error ?? 'no result'}`);
          continue;
        }
        const pyd = typed(result.dtype, readFileSync(join(jobsDir, `${job}.pydicom.raw`)));
        const perFrame = decoded[0].pixels.length;
        let max = 0;
        decoded.forEach((frame, f) => {
          for (let i = 0; i < perFrame; i++) max = Math.max(max, Math.abs(frame.pixels[i] - pyd[f * perFrame + i]));
        });
        if (max > tolerance) failures.push(`${job}: pydicom differs by up to ${max}`);
      }
      expect(failures).toEqual([]);
      expect(sources.size).toBeGreaterThan(80);
    } finally {
      rmSync(jobsDir, { recursive: true, force: true });
    }
  });
});

function samePixels(a: DecodedFrame, b: DecodedFrame): boolean {
  if (a.pixels.length !== b.pixels.length || a.photometricInterpretation !== b.photometricInterpretation) return false;
  for (let i = 0; i < a.pixels.length; i++) if (a.pixels[i] !== b.pixels[i]) return false;
  return true;
}
