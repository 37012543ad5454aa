// A hospital archive, generated deterministically from a seed: patients with realistic names (accents,
// compound names), studies spread over ten years with a modality mix like a general hospital's, and series
// whose sizes follow the modality (a chest X-ray has 2 images, a CT 100, one CT in 25 has a 500-slice series).
// Instances come in batches as the index consumer gets them from the bus (a study's instances together), so
// the archive never has to be in memory whole. Used by bench/qido (1,000,000 instances) and by the EXPLAIN
// check of the integration tests (20,000).
import { Tag } from '@pacs/dicom';
import type { DicomJsonDataset } from '../dataset-values';
import type { InstanceRecord } from '../index-writer';
import type { MatchCondition, SearchQuery } from '../search';

/** mulberry32: a small, fast, seeded PRNG, so that an archive is the same on every machine. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const surnames = [
  'Müller',
  'Schmidt',
  'Schneider',
  'Fischer',
  'Weber',
  'Meyer',
  'Wagner',
  'Becker',
  'Schulz',
  'Hoffmann',
  'Smith',
  'Johnson',
  'Williams',
  'Brown',
  'Jones',
  'Miller',
  'Davis',
  'Wilson',
  'Taylor',
  'Anderson',
  'García',
  'Martínez',
  'Rodríguez',
  'López',
  'Hernández',
  'González',
  'Pérez',
  'Sánchez',
  'Ramírez',
  'Torres',
  'Nguyen',
  'Tran',
  'Le',
  'Pham',
  'Kim',
  'Lee',
  'Park',
  'Wang',
  'Li',
  'Zhang',
  'Rossi',
  'Russo',
  'Ferrari',
  'Esposito',
  'Bianchi',
  'Dubois',
  'Durand',
  'Lefèvre',
  'Moreau',
  'Laurent',
  'Nowak',
  'Kowalski',
  'Wiśniewski',
  'Novák',
  'Svoboda',
  'Jansen',
  'de Vries',
  'van den Berg',
  'Bakker',
  'Visser',
  "O'Brien",
  'Murphy',
  'Kelly',
  'Walsh',
  'Smith-Jones',
  'Andersson',
  'Johansson',
  'Nilsson',
  'Ødegård',
  'Åberg',
  'Yılmaz',
  'Kaya',
  'Demir',
  'Şahin',
  'Çelik',
  'Papadopoulos',
  'Ivanov',
  'Petrov',
  'Horváth',
  'Kovács',
];
const givenNames = [
  'Anna',
  'Maria',
  'Emma',
  'Sophie',
  'Léa',
  'Chloé',
  'Zoë',
  'Jürgen',
  'Hans',
  'Peter',
  'Thomas',
  'Michael',
  'James',
  'John',
  'Robert',
  'David',
  'Mary',
  'Patricia',
  'Jennifer',
  'Linda',
  'José',
  'Luis',
  'Carmen',
  'Lucía',
  'Minh',
  'Thi',
  'Ji-ho',
  'Wei',
  'Fang',
  'Giulia',
  'Marco',
  'François',
  'Renée',
  'Agnieszka',
  'Piotr',
  'Søren',
  'Björn',
  'Åsa',
  'Mehmet',
  'Ayşe',
  'Nikolaos',
  'Olga',
  'Ivan',
  'Zsófia',
  'Seán',
  'Siobhán',
  'Noah',
  'Liam',
];
const physicians = ['Weber^Klaus^^Dr.', 'Martin^Claire', 'Ng^Andrew', 'Okafor^Chidi', 'Rossi^Paola', 'Dubois^Marc'];

interface ModalityProfile {
  modality: string;
  weight: number;
  sopClass: string;
  /** Instances of each series. */
  series: readonly number[];
  descriptions: readonly string[];
  bodyParts: readonly string[];
}

/** A general hospital's mix (share of studies) and typical series sizes per modality. */
const profiles: readonly ModalityProfile[] = [
  {
    modality: 'CR',
    weight: 30,
    sopClass: '1.2.840.10008.5.1.4.1.1.1',
    series: [2],
    descriptions: ['XR Chest PA/LAT', 'XR Hand', 'XR Knee'],
    bodyParts: ['CHEST', 'HAND', 'KNEE'],
  },
  {
    modality: 'CT',
    weight: 25,
    sopClass: '1.2.840.10008.5.1.4.1.1.2',
    series: [3, 100],
    descriptions: ['CT Chest', 'CT Abdomen Pelvis', 'CT Head w/o'],
    bodyParts: ['CHEST', 'ABDOMEN', 'HEAD'],
  },
  {
    modality: 'MR',
    weight: 15,
    sopClass: '1.2.840.10008.5.1.4.1.1.4',
    series: [30, 30, 30, 30],
    descriptions: ['MR Brain', 'MR Knee', 'MR Spine L'],
    bodyParts: ['HEAD', 'KNEE', 'LSPINE'],
  },
  {
    modality: 'US',
    weight: 15,
    sopClass: '1.2.840.10008.5.1.4.1.1.6.1',
    series: [12],
    descriptions: ['US Abdomen', 'US Thyroid'],
    bodyParts: ['ABDOMEN', 'NECK'],
  },
  {
    modality: 'MG',
    weight: 5,
    sopClass: '1.2.840.10008.5.1.4.1.1.1.2',
    series: [4],
    descriptions: ['MG Screening'],
    bodyParts: ['BREAST'],
  },
  {
    modality: 'XA',
    weight: 5,
    sopClass: '1.2.840.10008.5.1.4.1.1.12.1',
    series: [15, 15],
    descriptions: ['XA Coronary'],
    bodyParts: ['HEART'],
  },
  {
    modality: 'PT',
    weight: 3,
    sopClass: '1.2.840.10008.5.1.4.1.1.128',
    series: [150, 2],
    descriptions: ['PET/CT Whole Body'],
    bodyParts: ['WHOLEBODY'],
  },
  {
    modality: 'NM',
    weight: 2,
    sopClass: '1.2.840.10008.5.1.4.1.1.20',
    series: [30],
    descriptions: ['NM Bone Scan'],
    bodyParts: ['WHOLEBODY'],
  },
];
const totalWeight = profiles.reduce((s, p) => s + p.weight, 0);
/** One CT in this many has a 500-slice series (thin-slice reconstruction). */
const thinSliceEvery = 25;

export interface PatientPlan {
  id: string;
  name: string;
  birthDate: string;
  sex: string;
}

export interface SeriesPlan {
  uid: string;
  number: number;
  modality: string;
  sopClass: string;
  description: string;
  bodyPart: string;
  instances: number;
}

export interface StudyPlan {
  uid: string;
  patient: PatientPlan;
  date: string;
  time: string;
  accession: string;
  description: string;
  referring: string;
  series: SeriesPlan[];
}

export interface ArchivePlan {
  partitionId: number;
  patients: PatientPlan[];
  studies: StudyPlan[];
  instances: number;
}

export interface ArchiveOptions {
  patients: number;
  studies: number;
  /** Instances in all; the last study's largest series absorbs the difference to the modality profiles. */
  instances: number;
  seed?: number;
  partitionId?: number;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const pick = <T>(rng: () => number, list: readonly T[]): T => list[Math.floor(rng() * list.length)]!;

/** 2015-01-01 + n days, as DA. */
function dateOf(day: number): string {
  const d = new Date(Date.UTC(2015, 0, 1 + day));
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}`;
}

/** The archive's patients, studies and series (small: no instance is made here). */
export function planArchive(options: ArchiveOptions): ArchivePlan {
  const seed = options.seed ?? 1;
  const rng = random(seed);
  const patients: PatientPlan[] = Array.from({ length: options.patients }, (_, n) => ({
    id: `MRN${pad(1_000_000 + n * 7 + seed, 8)}`,
    name: `${pick(rng, surnames)}^${pick(rng, givenNames)}${rng() < 0.2 ? ` ${pick(rng, givenNames)}` : ''}`,
    birthDate: dateOf(-365 * 5 - Math.floor(rng() * 85 * 365)),
    sex: rng() < 0.5 ? 'F' : 'M',
  }));
  const studies: StudyPlan[] = [];
  let instances = 0;
  for (let s = 0; s < options.studies; s++) {
    let w = rng() * totalWeight;
    const profile = profiles.find((p) => (w -= p.weight) < 0) ?? profiles[0]!;
    const uid = `2.25.${seed}${pad(s + 1, 6)}`;
    const variant = Math.floor(rng() * profile.descriptions.length);
    const sizes = [...profile.series];
    if (profile.modality === 'CT' && s % thinSliceEvery === 0) sizes[sizes.length - 1] = 500;
    studies.push({
      uid,
      // Some patients come often, most rarely: a square keeps the distribution skewed.
      patient: patients[Math.floor(rng() ** 2 * patients.length)]!,
      date: dateOf(Math.floor(rng() * 3652)),
      time: `${pad(7 + Math.floor(rng() * 13), 2)}${pad(Math.floor(rng() * 60), 2)}${pad(Math.floor(rng() * 60), 2)}`,
      accession: `ACC${pad(s + 1, 8)}`,
      description: profile.descriptions[variant]!,
      referring: pick(rng, physicians),
      series: sizes.map((size, e) => ({
        uid: `${uid}.${e + 1}`,
        number: e + 1,
        modality: profile.modality,
        sopClass: profile.sopClass,
        description: `${profile.descriptions[variant]} ${e + 1}`,
        bodyPart: profile.bodyParts[variant % profile.bodyParts.length]!,
        instances: size,
      })),
    });
    instances += sizes.reduce((a, b) => a + b, 0);
  }
  // Make the total exact: the last studies' largest series grow or shrink (never below one instance).
  let difference = options.instances - instances;
  for (let s = studies.length - 1; difference !== 0 && s >= 0; s--) {
    const largest = studies[s]!.series.reduce((a, b) => (b.instances > a.instances ? b : a));
    const change = difference > 0 ? Math.min(difference, 400) : Math.max(difference, 1 - largest.instances);
    if (largest.instances === 500) continue; // keep the 500-instance series as they are
    largest.instances += change;
    difference -= change;
  }
  return { partitionId: options.partitionId ?? 1, patients, studies, instances: options.instances - difference };
}

const el = (vr: string, ...values: unknown[]): DicomJsonDataset[string] => ({ vr, Value: values });
const pn = (name: string) => el('PN', { Alphabetic: name });

/** A header like a modality's (about 2 kB of DICOM JSON): identification, equipment, geometry, display. */
function dataset(study: StudyPlan, series: SeriesPlan, n: number, sop: string): DicomJsonDataset {
  return {
    [Tag.SpecificCharacterSet]: el('CS', 'ISO_IR 192'),
    [Tag.ImageType]: el('CS', 'ORIGINAL', 'PRIMARY', 'AXIAL'),
    [Tag.SOPClassUID]: el('UI', series.sopClass),
    [Tag.SOPInstanceUID]: el('UI', sop),
    [Tag.StudyDate]: el('DA', study.date),
    [Tag.SeriesDate]: el('DA', study.date),
    [Tag.ContentDate]: el('DA', study.date),
    [Tag.StudyTime]: el('TM', study.time),
    [Tag.SeriesTime]: el('TM', study.time),
    [Tag.ContentTime]: el('TM', study.time),
    [Tag.AccessionNumber]: el('SH', study.accession),
    [Tag.Modality]: el('CS', series.modality),
    [Tag.Manufacturer]: el('LO', 'ACME Medical'),
    [Tag.InstitutionName]: el('LO', 'General Hospital'),
    [Tag.ReferringPhysicianName]: pn(study.referring),
    [Tag.StationName]: el('SH', `${series.modality}01`),
    [Tag.StudyDescription]: el('LO', study.description),
    [Tag.SeriesDescription]: el('LO', series.description),
    [Tag.ManufacturerModelName]: el('LO', 'Imager 3000'),
    [Tag.PatientName]: pn(study.patient.name),
    [Tag.PatientID]: el('LO', study.patient.id),
    [Tag.IssuerOfPatientID]: el('LO', 'GH'),
    [Tag.PatientBirthDate]: el('DA', study.patient.birthDate),
    [Tag.PatientSex]: el('CS', study.patient.sex),
    [Tag.BodyPartExamined]: el('CS', series.bodyPart),
    [Tag.SliceThickness]: el('DS', 1.25),
    [Tag.SoftwareVersions]: el('LO', '4.2.1'),
    [Tag.ProtocolName]: el('LO', study.description),
    [Tag.PatientPosition]: el('CS', 'HFS'),
    [Tag.StudyInstanceUID]: el('UI', study.uid),
    [Tag.SeriesInstanceUID]: el('UI', series.uid),
    [Tag.StudyID]: el('SH', study.accession.slice(-6)),
    [Tag.SeriesNumber]: el('IS', series.number),
    [Tag.InstanceNumber]: el('IS', n),
    [Tag.ImagePositionPatient]: el('DS', -250, -250, -n * 1.25),
    [Tag.ImageOrientationPatient]: el('DS', 1, 0, 0, 0, 1, 0),
    [Tag.FrameOfReferenceUID]: el('UI', `${study.uid}.0`),
    [Tag.PositionReferenceIndicator]: { vr: 'LO' },
    [Tag.SliceLocation]: el('DS', -n * 1.25),
    [Tag.SamplesPerPixel]: el('US', 1),
    [Tag.PhotometricInterpretation]: el('CS', 'MONOCHROME2'),
    [Tag.Rows]: el('US', 512),
    [Tag.Columns]: el('US', 512),
    [Tag.PixelSpacing]: el('DS', 0.976562, 0.976562),
    [Tag.BitsAllocated]: el('US', 16),
    [Tag.BitsStored]: el('US', 12),
    [Tag.HighBit]: el('US', 11),
    [Tag.PixelRepresentation]: el('US', 0),
    [Tag.WindowCenter]: el('DS', 40),
    [Tag.WindowWidth]: el('DS', 400),
    [Tag.RescaleIntercept]: el('DS', -1024),
    [Tag.RescaleSlope]: el('DS', 1),
    [Tag.PixelData]: { vr: 'OW', BulkDataURI: `bulkdata/7FE00010` },
  };
}

/** The archive's instances in batches of `size`, a study's instances one after the other. */
export function* instanceBatches(plan: ArchivePlan, size: number): Generator<InstanceRecord[]> {
  let batch: InstanceRecord[] = [];
  for (const study of plan.studies) {
    for (const series of study.series) {
      for (let n = 1; n <= series.instances; n++) {
        const sop = `${series.uid}.${n}`;
        const ds = dataset(study, series, n, sop);
        const json = JSON.stringify(ds);
        batch.push({
          partitionId: plan.partitionId,
          ingestId: `load-${sop}`,
          studyUid: study.uid,
          seriesUid: series.uid,
          sopUid: sop,
          sopClassUid: series.sopClass,
          transferSyntaxUid: '1.2.840.10008.1.2.1',
          blobKey: `partition-${plan.partitionId}/${study.uid}/${series.uid}/${sop}.dcm`,
          size: 525_000 + n,
          sha256: `${sop}`.padEnd(64, '0').slice(0, 64),
          dataset: ds,
          datasetJson: json,
          pixelIndex: '{"frames":[{"ranges":[{"offset":1200,"length":524288}]}]}',
        });
        if (batch.length === size) {
          yield batch;
          batch = [];
        }
      }
    }
  }
  if (batch.length > 0) yield batch;
}

export interface Scenario {
  name: string;
  /** A search of the scenario; `rng` varies its values between runs. */
  query(rng: () => number): SearchQuery;
}

/** The benchmark's searches over an archive: what a study list, a prior lookup and a viewer ask. */
export function scenarios(plan: ArchivePlan): Scenario[] {
  const base = { partitionId: plan.partitionId, fuzzy: false, limit: 100, offset: 0 };
  const single = (tag: string, value: string): MatchCondition => ({ kind: 'single', tag, value });
  const bigSeries = plan.studies.flatMap((s) =>
    s.series.filter((e) => e.instances === 500).map((e) => ({ study: s, series: e })),
  );
  const surnamesUsed = [...new Set(plan.patients.map((p) => p.name.split('^')[0]!))];
  return [
    {
      name: 'study search: PatientID exact',
      query: (rng) => ({
        ...base,
        level: 'study',
        conditions: [single(Tag.PatientID, pick(rng, plan.studies).patient.id)],
      }),
    },
    {
      name: 'study search: PatientName prefix, any case (mül*)',
      query: (rng) => ({
        ...base,
        level: 'study',
        conditions: [
          { kind: 'wildcard', tag: Tag.PatientName, pattern: `${pick(rng, surnamesUsed).slice(0, 3).toLowerCase()}*` },
        ],
      }),
    },
    {
      name: 'study search: StudyDate month + ModalitiesInStudy',
      query: (rng) => {
        const from = pick(rng, plan.studies).date.slice(0, 6);
        return {
          ...base,
          level: 'study',
          conditions: [
            { kind: 'range', tag: Tag.StudyDate, from: `${from}01`, to: `${from}28` },
            single(Tag.ModalitiesInStudy, pick(rng, ['CT', 'MR', 'CR', 'US'])),
          ],
        };
      },
    },
    {
      name: 'study list: page of 100 (offset 0-10,000)',
      query: (rng) => ({ ...base, level: 'study', conditions: [], offset: 100 * Math.floor(rng() * 101) }),
    },
    {
      name: 'instances of a 500-instance series',
      query: (rng) => {
        const { study, series } = pick(rng, bigSeries);
        return { ...base, level: 'instance', studyUid: study.uid, seriesUid: series.uid, conditions: [], limit: 1000 };
      },
    },
  ];
}
