import { Tag } from '@pacs/dicom';
import { ImagingError } from './imaging-error';
import { expandSegmentedLut, lutEntries, type Lut } from './lut';

/** One attribute of the DICOM JSON model (PS3.18 F.2.2). */
export interface DicomJsonElement {
  vr: string;
  Value?: unknown[];
  InlineBinary?: string;
  BulkDataURI?: string;
}
/** A data set in the DICOM JSON model (PS3.18 F.2): keys are the 8-hex-digit tags. */
export type DicomJsonDataset = Record<string, DicomJsonElement>;

/** Defined Terms of Photometric Interpretation (PS3.3 C.7.6.3.1.2) that we handle. */
export const PhotometricInterpretation = {
  MONOCHROME1: 'MONOCHROME1',
  MONOCHROME2: 'MONOCHROME2',
  PALETTE_COLOR: 'PALETTE COLOR',
  RGB: 'RGB',
  YBR_FULL: 'YBR_FULL',
  YBR_FULL_422: 'YBR_FULL_422',
  YBR_PARTIAL_422: 'YBR_PARTIAL_422',
  YBR_PARTIAL_420: 'YBR_PARTIAL_420',
  YBR_ICT: 'YBR_ICT',
  YBR_RCT: 'YBR_RCT',
} as const;
export type PhotometricInterpretation = (typeof PhotometricInterpretation)[keyof typeof PhotometricInterpretation];
const photometricValues = new Set<string>(Object.values(PhotometricInterpretation));

/** VOI LUT Function (0028,1056) Defined Terms (PS3.3 C.11.2.1.3). */
export const VoiLutFunction = { LINEAR: 'LINEAR', LINEAR_EXACT: 'LINEAR_EXACT', SIGMOID: 'SIGMOID' } as const;
export type VoiLutFunction = (typeof VoiLutFunction)[keyof typeof VoiLutFunction];

/** One pair of Window Center (0028,1050) / Window Width (0028,1051) with its explanation (0028,1055). */
export interface Window {
  readonly center: number;
  readonly width: number;
  readonly explanation?: string;
}

/** Red, green and blue Palette Color Lookup Tables (PS3.3 C.7.6.3.1.5, C.7.9). */
export interface PaletteColorLut {
  readonly red: Lut;
  readonly green: Lut;
  readonly blue: Lut;
  /** The tables came from Segmented ... Palette Color Lookup Table Data (C.7.9.2) and were expanded. */
  readonly segmented: boolean;
}

/**
 * What the pixel pipeline needs to know about a frame: the Image Pixel module (PS3.3 C.7.6.3) plus the
 * Modality LUT (C.11.1), VOI LUT (C.11.2) and lossy-compression attributes (C.7.6.1.1.5).
 */
export interface PixelModule {
  readonly rows: number;
  readonly columns: number;
  readonly samplesPerPixel: number;
  readonly photometricInterpretation: string;
  /** 0: samples interleaved per pixel; 1: one plane per sample (C.7.6.3.1.3). */
  readonly planarConfiguration: 0 | 1;
  readonly bitsAllocated: number;
  readonly bitsStored: number;
  readonly highBit: number;
  /** 0 unsigned, 1 two's complement. */
  readonly pixelRepresentation: 0 | 1;
  readonly numberOfFrames: number;
  readonly modality?: string;
  readonly rescaleSlope?: number;
  readonly rescaleIntercept?: number;
  readonly rescaleType?: string;
  /** The first item of the Modality LUT Sequence (0028,3000); it replaces rescale (C.11.1). */
  readonly modalityLut?: Lut & { readonly type?: string };
  readonly windows: readonly Window[];
  readonly voiLutFunction: VoiLutFunction;
  /** Items of the VOI LUT Sequence (0028,3010). */
  readonly voiLuts: readonly Lut[];
  readonly palette?: PaletteColorLut;
  readonly smallestImagePixelValue?: number;
  readonly largestImagePixelValue?: number;
  readonly pixelPaddingValue?: number;
  readonly pixelPaddingRangeLimit?: number;
  /** '00' or '01' (C.7.6.1.1.5): '01' once the image has been lossy compressed, even if stored losslessly now. */
  readonly lossyImageCompression?: '00' | '01';
  readonly lossyImageCompressionRatio?: readonly number[];
  readonly lossyImageCompressionMethod?: readonly string[];
  /** ICC Profile (0028,2000) of the image, when present. */
  readonly iccProfile?: Uint8Array;
}

/** Gives the bytes behind a BulkDataURI (synchronously: resolve them first with resolveLutBulkData). */
export type BulkDataResolver = (uri: string) => Uint8Array | undefined;

export interface PixelModuleOptions {
  resolveBulkData?: BulkDataResolver;
}

/**
 * Reads the PixelModule from a DICOM JSON data set. Type 1 attributes of the Image Pixel module
 * (Rows, Columns, Samples per Pixel, Photometric Interpretation, Bits Allocated, Bits Stored, High Bit,
 * Pixel Representation) must be present: their absence is a MissingAttribute error. Planar Configuration
 * (Type 1C) defaults to 0 and Number of Frames to 1. LUT data may be InlineBinary, a Value list, or a
 * BulkDataURI that `options.resolveBulkData` turns into bytes.
 */
export function pixelModuleOf(dataset: DicomJsonDataset, options: PixelModuleOptions = {}): PixelModule {
  const required = (tag: string, keyword: string): number => {
    const value = numberOf(dataset, tag);
    if (value === undefined) throw new ImagingError('MissingAttribute', `${keyword} (${tagText(tag)}) is required`);
    return value;
  };
  const rows = required(Tag.Rows, 'Rows');
  const columns = required(Tag.Columns, 'Columns');
  const samplesPerPixel = required(Tag.SamplesPerPixel, 'SamplesPerPixel');
  const photometricInterpretation = stringOf(dataset, Tag.PhotometricInterpretation);
  if (!photometricInterpretation) {
    throw new ImagingError(
      'MissingAttribute',
      `PhotometricInterpretation (${tagText(Tag.PhotometricInterpretation)}) is required`,
    );
  }
  const bitsAllocated = required(Tag.BitsAllocated, 'BitsAllocated');
  const bitsStored = required(Tag.BitsStored, 'BitsStored');
  const highBit = required(Tag.HighBit, 'HighBit');
  const pixelRepresentation = required(Tag.PixelRepresentation, 'PixelRepresentation');
  const planarConfiguration = numberOf(dataset, Tag.PlanarConfiguration) ?? 0;
  const numberOfFrames = numberOf(dataset, Tag.NumberOfFrames) ?? 1;

  const invalid = (message: string): ImagingError => new ImagingError('InvalidAttribute', message);
  if (!(rows >= 1 && columns >= 1 && Number.isInteger(rows) && Number.isInteger(columns))) {
    throw invalid(`Rows ${rows} and Columns ${columns} must be positive integers`);
  }
  if (![1, 8, 16, 32].includes(bitsAllocated)) throw invalid(`BitsAllocated ${bitsAllocated} is not 1, 8, 16 or 32`);
  if (!(bitsStored >= 1 && bitsStored <= bitsAllocated)) {
    throw invalid(`BitsStored ${bitsStored} must be between 1 and BitsAllocated ${bitsAllocated}`);
  }
  // PS3.5 8.1.1: High Bit within the allocated bits and at least Bits Stored - 1.
  if (!(highBit >= bitsStored - 1 && highBit < bitsAllocated)) {
    throw invalid(`HighBit ${highBit} does not fit BitsStored ${bitsStored} in BitsAllocated ${bitsAllocated}`);
  }
  if (pixelRepresentation !== 0 && pixelRepresentation !== 1)
    throw invalid(`PixelRepresentation ${pixelRepresentation} is not 0 or 1`);
  if (planarConfiguration !== 0 && planarConfiguration !== 1)
    throw invalid(`PlanarConfiguration ${planarConfiguration} is not 0 or 1`);
  if (!(numberOfFrames >= 1 && Number.isInteger(numberOfFrames)))
    throw invalid(`NumberOfFrames ${numberOfFrames} is not a positive integer`);
  if (!photometricValues.has(photometricInterpretation)) {
    throw invalid(`PhotometricInterpretation ${photometricInterpretation} is not supported`);
  }
  const colour = !['MONOCHROME1', 'MONOCHROME2', 'PALETTE COLOR'].includes(photometricInterpretation);
  if (samplesPerPixel !== (colour ? 3 : 1)) {
    throw invalid(
      `SamplesPerPixel ${samplesPerPixel} does not fit PhotometricInterpretation ${photometricInterpretation}`,
    );
  }

  const signed = pixelRepresentation === 1;
  const resolve = options.resolveBulkData;
  const module: Mutable<PixelModule> = {
    rows,
    columns,
    samplesPerPixel,
    photometricInterpretation,
    planarConfiguration: planarConfiguration as 0 | 1,
    bitsAllocated,
    bitsStored,
    highBit,
    pixelRepresentation: pixelRepresentation as 0 | 1,
    numberOfFrames,
    windows: windowsOf(dataset),
    voiLutFunction: voiLutFunctionOf(dataset),
    voiLuts: itemsOf(dataset, Tag.VOILUTSequence).map((item, i) =>
      lutOf(item, `VOILUTSequence item ${i + 1}`, signed, resolve),
    ),
  };
  const optional = <K extends keyof PixelModule>(key: K, value: PixelModule[K] | undefined): void => {
    if (value !== undefined) module[key] = value;
  };
  optional('modality', stringOf(dataset, Tag.Modality));
  optional('rescaleSlope', numberOf(dataset, Tag.RescaleSlope));
  optional('rescaleIntercept', numberOf(dataset, Tag.RescaleIntercept));
  optional('rescaleType', stringOf(dataset, Tag.RescaleType));
  const modalityItem = itemsOf(dataset, Tag.ModalityLUTSequence)[0];
  if (modalityItem) {
    const type = stringOf(modalityItem, Tag.ModalityLUTType);
    module.modalityLut = { ...lutOf(modalityItem, 'ModalityLUTSequence', signed, resolve), ...(type ? { type } : {}) };
  }
  if (photometricInterpretation === PhotometricInterpretation.PALETTE_COLOR) {
    module.palette = paletteOf(dataset, signed, resolve);
  }
  optional('smallestImagePixelValue', pixelValueOf(dataset, Tag.SmallestImagePixelValue, signed));
  optional('largestImagePixelValue', pixelValueOf(dataset, Tag.LargestImagePixelValue, signed));
  optional('pixelPaddingValue', pixelValueOf(dataset, Tag.PixelPaddingValue, signed));
  optional('pixelPaddingRangeLimit', pixelValueOf(dataset, Tag.PixelPaddingRangeLimit, signed));
  const lossy = stringOf(dataset, Tag.LossyImageCompression);
  if (lossy === '00' || lossy === '01') module.lossyImageCompression = lossy;
  const ratios = dataset[Tag.LossyImageCompressionRatio]?.Value?.map(Number).filter((n) => Number.isFinite(n));
  if (ratios?.length) module.lossyImageCompressionRatio = ratios;
  const methods = dataset[Tag.LossyImageCompressionMethod]?.Value?.filter((v): v is string => typeof v === 'string');
  if (methods?.length) module.lossyImageCompressionMethod = methods;
  const icc = dataset[Tag.ICCProfile];
  if (icc && (icc.InlineBinary || icc.BulkDataURI)) optional('iccProfile', bytesOf(icc, 'ICCProfile', resolve));
  return module;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The bytes of PixelModule-related bulk data that pixelModuleOf reads (LUT data, palettes, ICC profile). */
const lutDataTags = [
  Tag.LUTData,
  Tag.RedPaletteColorLookupTableData,
  Tag.GreenPaletteColorLookupTableData,
  Tag.BluePaletteColorLookupTableData,
  Tag.SegmentedRedPaletteColorLookupTableData,
  Tag.SegmentedGreenPaletteColorLookupTableData,
  Tag.SegmentedBluePaletteColorLookupTableData,
  Tag.ICCProfile,
];

/**
 * Returns a copy of `dataset` in which the BulkDataURI of every LUT, palette and ICC profile value that
 * pixelModuleOf reads (top level and in the Modality/VOI LUT Sequences) is replaced by InlineBinary,
 * fetched with `resolve`. Other bulk data (Pixel Data above all) is left alone.
 */
export async function resolveLutBulkData(
  dataset: DicomJsonDataset,
  resolve: (uri: string) => Promise<Uint8Array>,
): Promise<DicomJsonDataset> {
  const inline = async (ds: DicomJsonDataset): Promise<DicomJsonDataset> => {
    const out: DicomJsonDataset = { ...ds };
    for (const tag of lutDataTags) {
      const element = ds[tag];
      if (element?.BulkDataURI) {
        const bytes = await resolve(element.BulkDataURI);
        out[tag] = {
          vr: element.vr,
          InlineBinary: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
        };
      }
    }
    for (const tag of [Tag.ModalityLUTSequence, Tag.VOILUTSequence]) {
      const element = ds[tag];
      if (element?.Value) {
        out[tag] = {
          ...element,
          Value: await Promise.all(element.Value.map((item) => inline(item as DicomJsonDataset))),
        };
      }
    }
    return out;
  };
  return inline(dataset);
}

// ---------------------------------------------------------------- value readers

const tagText = (tag: string): string => `${tag.slice(0, 4)},${tag.slice(4)}`;

/** First value as a number: US/SS/UL as JSON numbers, DS/IS as numbers or numeric strings (PS3.18 F.2.3.1). */
function numberOf(ds: DicomJsonDataset, tag: string, index = 0): number | undefined {
  const value = ds[tag]?.Value?.[index];
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value.trim());
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

function numbersOf(ds: DicomJsonDataset, tag: string): number[] {
  const values = ds[tag]?.Value ?? [];
  return values.map((_, i) => numberOf(ds, tag, i)).filter((n): n is number => n !== undefined);
}

function stringOf(ds: DicomJsonDataset, tag: string): string | undefined {
  const value = ds[tag]?.Value?.[0];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function itemsOf(ds: DicomJsonDataset, tag: string): DicomJsonDataset[] {
  return (ds[tag]?.Value ?? []).filter((v): v is DicomJsonDataset => typeof v === 'object' && v !== null);
}

/** US-or-SS values (e.g. Pixel Padding Value): a US value ≥ 2^15 of signed pixel data is negative. */
function pixelValueOf(ds: DicomJsonDataset, tag: string, signed: boolean): number | undefined {
  const value = numberOf(ds, tag);
  if (value === undefined) return undefined;
  return signed && ds[tag]?.vr === 'US' && value >= 0x8000 ? value - 0x10000 : value;
}

function windowsOf(ds: DicomJsonDataset): Window[] {
  const centers = numbersOf(ds, Tag.WindowCenter);
  const widths = numbersOf(ds, Tag.WindowWidth);
  const explanations = ds[Tag.WindowCenterWidthExplanation]?.Value ?? [];
  const windows: Window[] = [];
  // C.11.2.1.2: values are pairs; a width below 1 cannot be applied with LINEAR, so such a pair is kept
  // (LINEAR_EXACT allows any width > 0) and judged when it is used.
  for (let i = 0; i < Math.min(centers.length, widths.length); i++) {
    const explanation = explanations[i];
    windows.push({
      center: centers[i],
      width: widths[i],
      ...(typeof explanation === 'string' && explanation ? { explanation } : {}),
    });
  }
  return windows;
}

function voiLutFunctionOf(ds: DicomJsonDataset): VoiLutFunction {
  const value = stringOf(ds, Tag.VOILUTFunction);
  if (value === undefined) return VoiLutFunction.LINEAR; // C.11.2.1.3: absent means LINEAR
  if (value === 'LINEAR' || value === 'LINEAR_EXACT' || value === 'SIGMOID') return value;
  throw new ImagingError('InvalidAttribute', `VOILUTFunction ${value} is not LINEAR, LINEAR_EXACT or SIGMOID`);
}

function bytesOf(element: DicomJsonElement, what: string, resolve?: BulkDataResolver): Uint8Array {
  if (element.InlineBinary !== undefined) return new Uint8Array(Buffer.from(element.InlineBinary, 'base64'));
  if (element.BulkDataURI !== undefined) {
    const bytes = resolve?.(element.BulkDataURI);
    if (!bytes) {
      throw new ImagingError(
        'MissingAttribute',
        `${what} is bulk data (${element.BulkDataURI}); resolve it first (resolveLutBulkData)`,
      );
    }
    return bytes;
  }
  throw new ImagingError('MissingAttribute', `${what} has no value`);
}

/** LUT data as bytes (OW: InlineBinary/BulkDataURI) or numbers (US: Value). */
function lutDataOf(
  element: DicomJsonElement | undefined,
  what: string,
  resolve?: BulkDataResolver,
): Uint8Array | number[] {
  if (!element) throw new ImagingError('MissingAttribute', `${what} is required`);
  if (element.Value) return element.Value.map(Number);
  return bytesOf(element, what, resolve);
}

/** LUT Descriptor (PS3.3 C.11.1.1): [entries (0 = 65536), first mapped value, bits per entry]. */
function descriptorOf(ds: DicomJsonDataset, tag: string, what: string, signed: boolean): [number, number, number] {
  const values = numbersOf(ds, tag);
  if (values.length !== 3)
    throw new ImagingError('MissingAttribute', `${what} LUT Descriptor (${tagText(tag)}) needs 3 values`);
  const [count, firstValue, bits] = values;
  // The first mapped value is SS when the pixel data is signed, even where it was written as US.
  const first = signed && firstValue >= 0x8000 ? firstValue - 0x10000 : firstValue;
  if (!(Number.isInteger(bits) && bits >= 1 && bits <= 16)) {
    throw new ImagingError('InvalidAttribute', `${what}: ${bits} bits per LUT entry`);
  }
  // Some writers put 8 in the descriptor of 16-bit palette data and vice versa; lutEntries reads the data.
  if (!(Number.isInteger(count) && count >= 0 && count <= 65535)) {
    throw new ImagingError('InvalidAttribute', `${what}: ${count} LUT entries`);
  }
  return [count, first, bits];
}

function lutOf(item: DicomJsonDataset, what: string, signed: boolean, resolve?: BulkDataResolver): Lut {
  const [count, firstMapped, bitsPerEntry] = descriptorOf(item, Tag.LUTDescriptor, what, signed);
  const data = lutEntries(what, count, bitsPerEntry, lutDataOf(item[Tag.LUTData], `${what} LUTData`, resolve));
  const explanation = stringOf(item, Tag.LUTExplanation);
  return { firstMapped, bitsPerEntry, data, ...(explanation ? { explanation } : {}) };
}

function paletteOf(ds: DicomJsonDataset, signed: boolean, resolve?: BulkDataResolver): PaletteColorLut {
  const one = (colour: 'Red' | 'Green' | 'Blue'): { lut: Lut; segmented: boolean } => {
    const descriptorTag = Tag[`${colour}PaletteColorLookupTableDescriptor`];
    const what = `${colour}PaletteColorLookupTable`;
    const [count, firstMapped, bitsPerEntry] = descriptorOf(ds, descriptorTag, what, signed);
    const segmentedElement = ds[Tag[`Segmented${colour}PaletteColorLookupTableData`]];
    const plainElement = ds[Tag[`${colour}PaletteColorLookupTableData`]];
    if (!plainElement && segmentedElement) {
      const raw = lutDataOf(segmentedElement, `Segmented${what}Data`, resolve);
      const words =
        raw instanceof Uint8Array
          ? bitsPerEntry <= 8
            ? Uint16Array.from(raw) // 8-bit segmented data: one byte per word of the segment grammar
            : new Uint16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + (raw.byteLength & ~1)))
          : Uint16Array.from(raw);
      const data = expandSegmentedLut(words, count === 0 ? 65536 : count);
      return { lut: { firstMapped, bitsPerEntry, data }, segmented: true };
    }
    const data = lutEntries(what, count, bitsPerEntry, lutDataOf(plainElement, `${what}Data`, resolve));
    return { lut: { firstMapped, bitsPerEntry, data }, segmented: false };
  };
  const red = one('Red');
  const green = one('Green');
  const blue = one('Blue');
  return {
    red: red.lut,
    green: green.lut,
    blue: blue.lut,
    segmented: red.segmented || green.segmented || blue.segmented,
  };
}
