// Small synthetic instances for the wado tests, written by @pacs/dicom's writer.
import { generateUid, Tag, TransferSyntaxUid, writePart10, type DicomJsonDataset } from '@pacs/dicom';
import { buffer } from 'node:stream/consumers';

export interface SyntheticOptions {
  study: string;
  series: string;
  sop?: string;
  rows?: number;
  columns?: number;
  frames?: number;
  instanceNumber?: number;
  transferSyntaxUid?: string;
  /** A bulk data value (OB, over the bulk data threshold) beside the pixel data. */
  withBulk?: boolean;
  /** Patient module attributes (and Specific Character Set) instead of the default Patient ID. */
  patient?: DicomJsonDataset;
}

/** 16-bit unsigned grey frames; sample k of frame f is (k * 7 + f * 13) & 0x0fff. */
export function syntheticPixels(rows: number, columns: number, frames: number): Buffer {
  const out = Buffer.alloc(rows * columns * frames * 2);
  for (let i = 0; i < rows * columns * frames; i++) {
    const f = Math.floor(i / (rows * columns));
    out.writeUInt16LE(((i % (rows * columns)) * 7 + f * 13) & 0x0fff, i * 2);
  }
  return out;
}

export function syntheticDataset(o: SyntheticOptions & { sop: string }): DicomJsonDataset {
  const us = (v: number) => ({ vr: 'US', Value: [v] });
  return {
    [Tag.SOPClassUID]: { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.7'] },
    [Tag.SOPInstanceUID]: { vr: 'UI', Value: [o.sop] },
    [Tag.StudyInstanceUID]: { vr: 'UI', Value: [o.study] },
    [Tag.SeriesInstanceUID]: { vr: 'UI', Value: [o.series] },
    [Tag.PatientID]: { vr: 'LO', Value: ['WADO-TEST'] },
    [Tag.Modality]: { vr: 'CS', Value: ['OT'] },
    [Tag.InstanceNumber]: { vr: 'IS', Value: [o.instanceNumber ?? 1] },
    [Tag.SamplesPerPixel]: us(1),
    [Tag.PhotometricInterpretation]: { vr: 'CS', Value: ['MONOCHROME2'] },
    ...((o.frames ?? 1) > 1 ? { [Tag.NumberOfFrames]: { vr: 'IS', Value: [o.frames] } } : {}),
    [Tag.Rows]: us(o.rows ?? 32),
    [Tag.Columns]: us(o.columns ?? 32),
    [Tag.BitsAllocated]: us(16),
    [Tag.BitsStored]: us(12),
    [Tag.HighBit]: us(11),
    [Tag.PixelRepresentation]: us(0),
    ...(o.withBulk ? { [Tag.ICCProfile]: { vr: 'OB', BulkDataURI: 'bulkdata/00282000' } } : {}),
    ...o.patient,
  };
}

/** A bulk value whose bytes say where they are: byte k is k mod 251. */
export const bulkValue = (length: number): Buffer => Buffer.from(Array.from({ length }, (_, k) => k % 251));

export async function syntheticInstance(o: SyntheticOptions): Promise<{ bytes: Buffer; sop: string; pixels: Buffer }> {
  const sop = o.sop ?? generateUid();
  const pixels = syntheticPixels(o.rows ?? 32, o.columns ?? 32, o.frames ?? 1);
  const bytes = await buffer(
    writePart10({
      dataset: syntheticDataset({ ...o, sop }),
      transferSyntaxUid: o.transferSyntaxUid ?? TransferSyntaxUid.ExplicitVRLittleEndian,
      pixelData: { vr: 'OW', value: pixels },
      ...(o.withBulk ? { bulkData: () => bulkValue(3000) } : {}),
    }),
  );
  return { bytes, sop, pixels };
}
