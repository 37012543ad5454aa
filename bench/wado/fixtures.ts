// The data of the WADO-RS benchmark, written once into a folder and reused: a 500-instance CT series
// (512 × 512, 16 bits, Explicit VR Little Endian, ≈ 0.5 MB each, with a header of the size real CT has) and
// an 800-frame 512 × 512 16-bit multi-frame (419 MB of pixel data).
import { Tag, TransferSyntaxUid, writePart10, type DicomJsonDataset } from '@pacs/dicom';
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

export interface BenchData {
  dir: string;
  study: string;
  series: { uid: string; files: string[]; sops: string[] };
  multiframe: { series: string; sop: string; file: string; frames: number };
}

const rows = 512;
const columns = 512;
const frameBytes = rows * columns * 2;

const root = '2.25.3141592653589793238462643383279';
const us = (v: number) => ({ vr: 'US', Value: [v] });
const cs = (...v: string[]) => ({ vr: 'CS', Value: v });
const lo = (...v: string[]) => ({ vr: 'LO', Value: v });
const ds = (...v: number[]) => ({ vr: 'DS', Value: v });
const ui = (v: string) => ({ vr: 'UI', Value: [v] });

/** About the attributes a CT scanner writes (General/CT Image, Equipment, Acquisition, a few sequences and private tags). */
function ctHeader(study: string, series: string, sop: string, n: number, sopClass: string): DicomJsonDataset {
  return {
    [Tag.SpecificCharacterSet]: cs('ISO_IR 100'),
    [Tag.ImageType]: cs('ORIGINAL', 'PRIMARY', 'AXIAL'),
    [Tag.InstanceCreationDate]: { vr: 'DA', Value: ['20240314'] },
    [Tag.InstanceCreationTime]: { vr: 'TM', Value: ['101500.000000'] },
    [Tag.SOPClassUID]: ui(sopClass),
    [Tag.SOPInstanceUID]: ui(sop),
    [Tag.StudyDate]: { vr: 'DA', Value: ['20240314'] },
    [Tag.SeriesDate]: { vr: 'DA', Value: ['20240314'] },
    [Tag.AcquisitionDate]: { vr: 'DA', Value: ['20240314'] },
    [Tag.ContentDate]: { vr: 'DA', Value: ['20240314'] },
    [Tag.StudyTime]: { vr: 'TM', Value: ['101000'] },
    [Tag.SeriesTime]: { vr: 'TM', Value: ['101200'] },
    [Tag.AcquisitionTime]: { vr: 'TM', Value: ['101300.123456'] },
    [Tag.ContentTime]: { vr: 'TM', Value: ['101300.123456'] },
    [Tag.AccessionNumber]: { vr: 'SH', Value: ['BENCH0001'] },
    [Tag.Modality]: cs('CT'),
    [Tag.Manufacturer]: lo('PACS Bench Imaging'),
    [Tag.InstitutionName]: lo('Bench General Hospital'),
    [Tag.ReferringPhysicianName]: { vr: 'PN', Value: [{ Alphabetic: 'Referrer^Rita' }] },
    [Tag.StationName]: { vr: 'SH', Value: ['CT01'] },
    [Tag.StudyDescription]: lo('CT CHEST ABDOMEN PELVIS WITH CONTRAST'),
    [Tag.ProcedureCodeSequence]: {
      vr: 'SQ',
      Value: [
        {
          [Tag.CodeValue]: { vr: 'SH', Value: ['CTCAP'] },
          [Tag.CodingSchemeDesignator]: { vr: 'SH', Value: ['99LOCAL'] },
          [Tag.CodeMeaning]: lo('CT chest abdomen pelvis'),
        },
      ],
    },
    [Tag.SeriesDescription]: lo('Axial 1.0 mm soft tissue'),
    [Tag.ManufacturerModelName]: lo('Bench 256'),
    [Tag.ReferencedImageSequence]: {
      vr: 'SQ',
      Value: [{ [Tag.ReferencedSOPClassUID]: ui(sopClass), [Tag.ReferencedSOPInstanceUID]: ui(`${series}.9999`) }],
    },
    [Tag.PatientName]: { vr: 'PN', Value: [{ Alphabetic: 'Bench^Patient' }] },
    [Tag.PatientID]: lo('BENCH-WADO'),
    [Tag.PatientBirthDate]: { vr: 'DA', Value: ['19700101'] },
    [Tag.PatientSex]: cs('O'),
    [Tag.PatientAge]: { vr: 'AS', Value: ['054Y'] },
    [Tag.BodyPartExamined]: cs('CHEST'),
    [Tag.SliceThickness]: ds(1),
    [Tag.KVP]: ds(120),
    [Tag.DataCollectionDiameter]: ds(500),
    [Tag.SoftwareVersions]: lo('1.0.0'),
    [Tag.ReconstructionDiameter]: ds(380),
    [Tag.DistanceSourceToDetector]: ds(1085.6),
    [Tag.DistanceSourceToPatient]: ds(595),
    [Tag.GantryDetectorTilt]: ds(0),
    [Tag.TableHeight]: ds(160),
    [Tag.RotationDirection]: cs('CW'),
    [Tag.ExposureTime]: { vr: 'IS', Value: [500] },
    [Tag.XRayTubeCurrent]: { vr: 'IS', Value: [250] },
    [Tag.Exposure]: { vr: 'IS', Value: [125] },
    [Tag.FilterType]: { vr: 'SH', Value: ['BODY FILTER'] },
    [Tag.ConvolutionKernel]: { vr: 'SH', Value: ['B30f'] },
    [Tag.PatientPosition]: cs('HFS'),
    [Tag.StudyInstanceUID]: ui(study),
    [Tag.SeriesInstanceUID]: ui(series),
    [Tag.StudyID]: { vr: 'SH', Value: ['1'] },
    [Tag.SeriesNumber]: { vr: 'IS', Value: [2] },
    [Tag.AcquisitionNumber]: { vr: 'IS', Value: [1] },
    [Tag.InstanceNumber]: { vr: 'IS', Value: [n] },
    [Tag.ImagePositionPatient]: ds(-190, -190, -n * 1.0),
    [Tag.ImageOrientationPatient]: ds(1, 0, 0, 0, 1, 0),
    [Tag.FrameOfReferenceUID]: ui(`${study}.1`),
    [Tag.PositionReferenceIndicator]: lo(''),
    [Tag.SliceLocation]: ds(-n * 1.0),
    [Tag.SamplesPerPixel]: us(1),
    [Tag.PhotometricInterpretation]: cs('MONOCHROME2'),
    [Tag.Rows]: us(rows),
    [Tag.Columns]: us(columns),
    [Tag.PixelSpacing]: ds(0.742188, 0.742188),
    [Tag.BitsAllocated]: us(16),
    [Tag.BitsStored]: us(16),
    [Tag.HighBit]: us(15),
    [Tag.PixelRepresentation]: us(1),
    [Tag.WindowCenter]: ds(40, 400),
    [Tag.WindowWidth]: ds(400, 1500),
    [Tag.RescaleIntercept]: ds(-1024),
    [Tag.RescaleSlope]: ds(1),
    [Tag.RescaleType]: lo('HU'),
    [Tag.WindowCenterWidthExplanation]: lo('WINDOW1', 'WINDOW2'),
    '00090010': { vr: 'LO', Value: ['BENCH PRIVATE'] },
    '00091001': { vr: 'LO', Value: ['private value of some length for realism'] },
    '00091002': { vr: 'OB', InlineBinary: Buffer.alloc(96, 7).toString('base64') },
  };
}

/** A CT-like slice: a disc of soft tissue in air with a gradient; cheap to make, not constant. */
function slice(n: number): Buffer {
  const out = Buffer.alloc(frameBytes);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < columns; x++) {
      const r = Math.hypot(x - 256, y - 256);
      const v = r < 200 ? 1024 + 40 + ((x + y + n) & 63) : 0;
      out.writeInt16LE(v - 1024, (y * columns + x) * 2);
    }
  }
  return out;
}

/** Writes the benchmark data into `dir` unless it is there already; returns where everything is. */
export async function makeBenchData(dir: string, count = 500, frames = 800): Promise<BenchData> {
  const manifest = join(dir, 'manifest.json');
  if (existsSync(manifest)) {
    const data = JSON.parse(readFileSync(manifest, 'utf8')) as BenchData;
    if (data.series.files.length === count && data.multiframe.frames === frames) return data;
  }
  mkdirSync(dir, { recursive: true });
  const study = `${root}.1`;
  const seriesUid = `${root}.1.2`;
  const files: string[] = [];
  const sops: string[] = [];
  const ct = '1.2.840.10008.5.1.4.1.1.2';
  for (let n = 1; n <= count; n++) {
    const sop = `${seriesUid}.${n}`;
    const file = join(dir, `ct-${String(n).padStart(4, '0')}.dcm`);
    await pipeline(
      writePart10({
        dataset: ctHeader(study, seriesUid, sop, n, ct),
        transferSyntaxUid: TransferSyntaxUid.ExplicitVRLittleEndian,
        pixelData: { vr: 'OW', value: slice(n) },
      }),
      createWriteStream(file),
    );
    files.push(file);
    sops.push(sop);
  }
  // Multi-frame Grayscale Word Secondary Capture: 800 frames of 512 × 512 × 16 bits in one instance.
  const mfSeries = `${root}.1.3`;
  const mfSop = `${mfSeries}.1`;
  const mfFile = join(dir, 'multiframe.dcm');
  const header = ctHeader(study, mfSeries, mfSop, 1, '1.2.840.10008.5.1.4.1.1.7.3');
  header[Tag.NumberOfFrames] = { vr: 'IS', Value: [frames] };
  header[Tag.FrameIncrementPointer] = { vr: 'AT', Value: ['00180050'] };
  const base = slice(0);
  await pipeline(
    writePart10({
      dataset: header,
      transferSyntaxUid: TransferSyntaxUid.ExplicitVRLittleEndian,
      pixelData: {
        vr: 'OW',
        value: {
          length: frames * frameBytes,
          open: async function* () {
            for (let f = 0; f < frames; f++) {
              const frame = Buffer.from(base);
              frame.writeUInt32LE(f, 0); // frames differ
              yield frame;
            }
          },
        },
      },
    }),
    createWriteStream(`${mfFile}.partial`),
  );
  renameSync(`${mfFile}.partial`, mfFile);
  const data: BenchData = {
    dir,
    study,
    series: { uid: seriesUid, files, sops },
    multiframe: { series: mfSeries, sop: mfSop, file: mfFile, frames },
  };
  writeFileSync(manifest, JSON.stringify(data));
  return data;
}
