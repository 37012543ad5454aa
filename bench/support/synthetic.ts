// Synthetic instances for benchmarks, written with our Part 10 writer (no Python in the timed loop).
import { generateUid, SopClassUid, Tag, writePart10, type BinarySource, type DicomJsonDataset } from '@pacs/dicom';
import { buffer } from 'node:stream/consumers';

export interface SyntheticOptions {
  study: string;
  series: string;
  sop?: string;
  patientId: string;
  patientName?: string;
  instanceNumber?: number;
  rows?: number;
  columns?: number;
  frames?: number;
  /** The pixel data; default: a deterministic pattern of rows × columns × frames 16-bit values. */
  pixelData?: BinarySource;
}

export function syntheticDataset(o: SyntheticOptions): DicomJsonDataset {
  const rows = o.rows ?? 512;
  const columns = o.columns ?? 512;
  const v = (vr: string, ...values: unknown[]) => ({ vr, Value: values });
  const ds: DicomJsonDataset = {
    [Tag.SpecificCharacterSet]: v('CS', 'ISO_IR 192'),
    [Tag.SOPClassUID]: v('UI', SopClassUid.CTImageStorage),
    [Tag.SOPInstanceUID]: v('UI', o.sop ?? generateUid()),
    [Tag.StudyDate]: v('DA', '20240601'),
    [Tag.StudyTime]: v('TM', '120000'),
    [Tag.AccessionNumber]: v('SH', 'BENCH'),
    [Tag.Modality]: v('CS', 'CT'),
    [Tag.ReferringPhysicianName]: v('PN', { Alphabetic: 'Bench^Referrer' }),
    [Tag.StudyDescription]: v('LO', 'Benchmark study'),
    [Tag.SeriesDescription]: v('LO', 'Benchmark series'),
    [Tag.PatientName]: v('PN', { Alphabetic: o.patientName ?? 'Bench^Patient' }),
    [Tag.PatientID]: v('LO', o.patientId),
    [Tag.PatientBirthDate]: v('DA', '19700101'),
    [Tag.PatientSex]: v('CS', 'O'),
    [Tag.StudyInstanceUID]: v('UI', o.study),
    [Tag.SeriesInstanceUID]: v('UI', o.series),
    [Tag.StudyID]: v('SH', '1'),
    [Tag.SeriesNumber]: v('IS', 1),
    [Tag.InstanceNumber]: v('IS', o.instanceNumber ?? 1),
    [Tag.ImagePositionPatient]: v('DS', 0, 0, o.instanceNumber ?? 1),
    [Tag.ImageOrientationPatient]: v('DS', 1, 0, 0, 0, 1, 0),
    [Tag.SamplesPerPixel]: v('US', 1),
    [Tag.PhotometricInterpretation]: v('CS', 'MONOCHROME2'),
    [Tag.Rows]: v('US', rows),
    [Tag.Columns]: v('US', columns),
    [Tag.PixelSpacing]: v('DS', 0.7, 0.7),
    [Tag.BitsAllocated]: v('US', 16),
    [Tag.BitsStored]: v('US', 16),
    [Tag.HighBit]: v('US', 15),
    [Tag.PixelRepresentation]: v('US', 1),
    [Tag.WindowCenter]: v('DS', 40),
    [Tag.WindowWidth]: v('DS', 400),
    [Tag.RescaleIntercept]: v('DS', -1024),
    [Tag.RescaleSlope]: v('DS', 1),
  };
  if ((o.frames ?? 1) > 1) ds[Tag.NumberOfFrames] = v('IS', o.frames);
  return ds;
}

/** Pixel bytes made on demand, chunk by chunk: a multi-GB value never exists in memory. */
export function patternPixels(length: number, seed = 1): BinarySource {
  return {
    length,
    open: async function* () {
      const chunk = Buffer.alloc(1 << 20);
      for (let i = 0; i < chunk.length; i += 2) chunk.writeUInt16LE((i * 7 + seed * 131) & 0x0fff, i);
      for (let sent = 0; sent < length; sent += chunk.length)
        yield chunk.subarray(0, Math.min(chunk.length, length - sent));
    },
  };
}

/** A whole synthetic instance in memory (benchmark-sized ones only). */
export async function syntheticInstance(o: SyntheticOptions): Promise<Buffer> {
  const rows = o.rows ?? 512;
  const columns = o.columns ?? 512;
  const pixelData = o.pixelData ?? patternPixels(rows * columns * 2 * (o.frames ?? 1), o.instanceNumber ?? 1);
  return buffer(writePart10({ dataset: syntheticDataset(o), pixelData: { vr: 'OW', value: pixelData } }));
}
