// An independent answer to QIDO-RS searches: the matching rules of PS3.4 §C.2.2.2 and of our conformance
// statement (docs/conformance.md, "QIDO-RS"), written plainly over DICOM JSON data sets in memory, with no SQL
// and no code shared with the planner. The tests run the same queries through the index and through this
// filter over the same random data, and expect the same answers.
//
// The information model it builds (PS3.4 §C.3.2 Study Root):
// - a patient is (partition, PatientID, IssuerOfPatientID), with the Patient module of its first instance;
// - a study has the study attributes of its first instance and its patient's Patient module; ModalitiesInStudy
//   and SOPClassesInStudy are computed from all its series and instances (PS3.4 Table C.3-1);
// - a series has the attributes of its first instance; an instance its own.
import { Tag } from '@pacs/dicom';
import type { DicomJsonDataset } from '../dataset-values';
import type { InstanceRecord } from '../index-writer';
import type { MatchCondition, SearchLevel, SearchQuery } from '../search';

interface OracleStudy {
  partitionId: number;
  uid: string;
  first: DicomJsonDataset;
  patient: DicomJsonDataset;
  series: OracleSeries[];
}
interface OracleSeries {
  uid: string;
  first: DicomJsonDataset;
  instances: InstanceRecord[];
}

/** Declared extended query tags, as the oracle needs them: tag → VR and level. */
export type OracleExtendedTags = ReadonlyMap<string, { vr: string; level: SearchLevel }>;

/** Attributes whose dates and times the query's TimezoneOffsetFromUTC adjusts, with their time attribute. */
const zonedDates: Record<string, string> = {
  [Tag.StudyDate]: Tag.StudyTime,
  [Tag.PerformedProcedureStepStartDate]: Tag.PerformedProcedureStepStartTime,
  [Tag.ContentDate]: Tag.ContentTime,
};
const zonedTimes = new Set(Object.values(zonedDates));

const levelOf: Record<string, SearchLevel> = {
  [Tag.StudyInstanceUID]: 'study',
  [Tag.StudyDate]: 'study',
  [Tag.StudyTime]: 'study',
  [Tag.AccessionNumber]: 'study',
  [Tag.StudyID]: 'study',
  [Tag.StudyDescription]: 'study',
  [Tag.ReferringPhysicianName]: 'study',
  [Tag.PatientName]: 'study',
  [Tag.PatientID]: 'study',
  [Tag.IssuerOfPatientID]: 'study',
  [Tag.PatientBirthDate]: 'study',
  [Tag.PatientSex]: 'study',
  [Tag.ModalitiesInStudy]: 'study',
  [Tag.SOPClassesInStudy]: 'study',
  [Tag.SeriesInstanceUID]: 'series',
  [Tag.Modality]: 'series',
  [Tag.SeriesNumber]: 'series',
  [Tag.SeriesDescription]: 'series',
  [Tag.BodyPartExamined]: 'series',
  [Tag.PerformedProcedureStepStartDate]: 'series',
  [Tag.PerformedProcedureStepStartTime]: 'series',
  [Tag.StationName]: 'series',
  [Tag.InstitutionName]: 'series',
  [Tag.RequestAttributesSequence]: 'series',
  [Tag.SOPInstanceUID]: 'instance',
  [Tag.SOPClassUID]: 'instance',
  [Tag.InstanceNumber]: 'instance',
  [Tag.NumberOfFrames]: 'instance',
  [Tag.Rows]: 'instance',
  [Tag.Columns]: 'instance',
  [Tag.ContentDate]: 'instance',
  [Tag.ContentTime]: 'instance',
};
const patientTags = new Set<string>([
  Tag.PatientName,
  Tag.PatientID,
  Tag.IssuerOfPatientID,
  Tag.PatientBirthDate,
  Tag.PatientSex,
]);
const personNameTags = new Set<string>([Tag.PatientName, Tag.ReferringPhysicianName]);
const numberTags = new Set<string>([Tag.SeriesNumber, Tag.InstanceNumber, Tag.NumberOfFrames, Tag.Rows, Tag.Columns]);
const rank: Record<SearchLevel, number> = { study: 0, series: 1, instance: 2 };

/** PS3.4 §C.2.2.2.1.1 as we implement it: case and accents do not matter; trailing "^" and spaces neither. */
const fold = (s: string): string => s.normalize('NFD').replace(/\p{M}/gu, '').toUpperCase();
const foldName = (s: string): string => fold(s).replace(/[\^ ]+$/, '');

/** PS3.4 §C.2.2.2.4: "*" any sequence of characters (also none), "?" exactly one. */
function wildcardMatches(pattern: string, value: string): boolean {
  const source = [...pattern]
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, 'su').test(value);
}

const pad = (s: string | undefined, n: number) => (s ?? '').padEnd(n, '0');

/** A TM value in microseconds of the day (undefined if it is not one). */
function timeOfDay(tm: string): number | undefined {
  const m = /^(\d{2})(\d{2})?(\d{2})?(?:\.(\d{1,6}))?$/.exec(tm.trim());
  if (!m) return undefined;
  return ((Number(m[1]) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1e6 + Number(pad(m[4], 6));
}
/** A DA value as days since 1970 (undefined if it is not a date). */
function dayNumber(da: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(da.trim());
  if (!m) return undefined;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const d = new Date(t);
  if (d.getUTCMonth() !== Number(m[2]) - 1 || d.getUTCDate() !== Number(m[3])) return undefined;
  return t / 86_400_000;
}
const dayMicros = 86_400 * 1e6;
/** A date and time as microseconds since 1970. */
const instant = (day: number, micros: number) => day * dayMicros + micros;
/** A DT bound 'YYYYMMDDHHMMSS.FFFFFF' as microseconds since 1970. */
const dtMicros = (dt: string) => instant(dayNumber(dt.slice(0, 8))!, timeOfDay(dt.slice(8))!);

function offsetMinutes(value: string | undefined): number | undefined {
  const m = /^([+-])(\d{2})(\d{2})$/.exec(value?.trim() ?? '');
  if (!m || Number(m[3]) > 59) return undefined;
  const total = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
  return total >= -720 && total <= 840 ? total : undefined;
}

/** The values of an attribute in a data set, as strings (PN: its component groups joined by "="). */
function values(ds: DicomJsonDataset, tag: string): string[] {
  return (ds[tag]?.Value ?? [])
    .map((v) => {
      if (v === null || v === undefined) return '';
      if (typeof v === 'object') {
        const pn = v as { Alphabetic?: string; Ideographic?: string; Phonetic?: string };
        return [pn.Alphabetic ?? '', pn.Ideographic ?? '', pn.Phonetic ?? ''].join('=').replace(/=+$/, '');
      }
      return String(v).trim();
    })
    .filter((v) => v !== '');
}

/** The first component group of a PN value with anything in it (the one literal matching uses). */
const literalGroup = (pn: string): string => pn.split('=').find((g) => g !== '') ?? '';
/** Words of a name for fuzzy matching: split at component, group and word delimiters. */
const words = (s: string): string[] =>
  fold(s)
    .split(/[\^=\s,.'-]+/u)
    .filter((w) => w !== '');

export class QidoOracle {
  private readonly studies = new Map<string, OracleStudy>();
  private readonly patients = new Map<string, DicomJsonDataset>();
  private readonly sops = new Set<string>();

  constructor(
    records: readonly InstanceRecord[] = [],
    private readonly extendedTags: OracleExtendedTags = new Map(),
  ) {
    this.add(records);
  }

  /** Stores instances, in order (the first instance of a patient, study or series gives its attributes). */
  add(records: readonly InstanceRecord[]): void {
    for (const r of records) {
      if (this.sops.has(`${r.partitionId}|${r.sopUid}`)) continue;
      this.sops.add(`${r.partitionId}|${r.sopUid}`);
      const patientKey = `${r.partitionId}|${values(r.dataset, Tag.PatientID)[0] ?? ''}|${values(r.dataset, Tag.IssuerOfPatientID)[0] ?? ''}`;
      if (!this.patients.has(patientKey)) this.patients.set(patientKey, r.dataset);
      const studyKey = `${r.partitionId}|${r.studyUid}`;
      let study = this.studies.get(studyKey);
      if (!study) {
        study = {
          partitionId: r.partitionId,
          uid: r.studyUid,
          first: r.dataset,
          patient: this.patients.get(patientKey)!,
          series: [],
        };
        this.studies.set(studyKey, study);
      }
      let series = study.series.find((s) => s.uid === r.seriesUid);
      if (!series) {
        series = { uid: r.seriesUid, first: r.dataset, instances: [] };
        study.series.push(series);
      }
      series.instances.push(r);
    }
  }

  /** Removes instances (and the series and studies they leave empty). */
  remove(partitionId: number, sopUids: readonly string[]): void {
    const gone = new Set(sopUids);
    for (const [key, study] of this.studies) {
      if (study.partitionId !== partitionId) continue;
      for (const series of study.series) series.instances = series.instances.filter((i) => !gone.has(i.sopUid));
      study.series = study.series.filter((s) => s.instances.length > 0);
      if (study.series.length === 0) this.studies.delete(key);
    }
    for (const sop of gone) this.sops.delete(`${partitionId}|${sop}`);
  }

  /** ModalitiesInStudy, SOPClassesInStudy and the counts of a study (PS3.4 Table C.3-1). */
  computed(partitionId: number, studyUid: string) {
    const study = this.studies.get(`${partitionId}|${studyUid}`);
    if (!study) return undefined;
    const instances = study.series.flatMap((s) => s.instances);
    return {
      modalities: [...new Set(study.series.flatMap((s) => values(s.first, Tag.Modality)))].sort(),
      sopClasses: [...new Set(instances.map((i) => i.sopClassUid))].sort(),
      series: study.series.length,
      instances: instances.length,
      seriesInstances: Object.fromEntries(study.series.map((s) => [s.uid, s.instances.length])),
    };
  }

  /** The UIDs of the entities at the query's level that match it (in no particular order). */
  search(query: SearchQuery): string[] {
    const out: string[] = [];
    for (const study of this.studies.values()) {
      if (study.partitionId !== query.partitionId) continue;
      if (query.studyUid !== undefined && study.uid !== query.studyUid) continue;
      for (const series of query.level === 'study' ? [undefined] : study.series) {
        if (series && query.seriesUid !== undefined && series.uid !== query.seriesUid) continue;
        for (const instance of query.level === 'instance' ? series!.instances : [undefined]) {
          const entity = { study, series, instance };
          if (query.conditions.every((c) => this.matches(entity, c, query))) {
            out.push(instance?.sopUid ?? series?.uid ?? study.uid);
          }
        }
      }
    }
    return out;
  }

  /** The values an entity has for a top-level attribute. */
  private attribute(e: Entity, tag: string): string[] {
    const level = levelOf[tag] ?? this.extendedTags.get(tag)?.level;
    if (tag === Tag.ModalitiesInStudy)
      return [...new Set(e.study.series.flatMap((s) => values(s.first, Tag.Modality)))];
    if (tag === Tag.SOPClassesInStudy) {
      return [...new Set(e.study.series.flatMap((s) => s.instances.map((i) => i.sopClassUid)))];
    }
    if (level === 'study') return values(patientTags.has(tag) ? e.study.patient : e.study.first, tag);
    if (level === 'series') return values(e.series!.first, tag);
    return values(e.instance!.dataset, tag);
  }

  private matches(e: Entity, c: MatchCondition, query: SearchQuery): boolean {
    if (c.kind === 'universal') return true;
    if (c.kind === 'sequence') return this.sequenceMatches(e, c, query);
    // PS3.4 §C.2.2.2.4 note 1: "*" is Universal Matching, which every entity passes, with a value or not.
    if (c.kind === 'wildcard' && /^\*+$/.test(c.pattern)) return true;
    if (c.kind === 'multiple' && c.values.some((v) => /^\*+$/.test(v))) return true;
    const vs = this.attribute(e, c.tag);
    const vr = this.extendedTags.get(c.tag)?.vr;
    const isName = personNameTags.has(c.tag) || vr === 'PN';
    // Computed and multi-valued attributes match when any value does (PS3.4 §C.2.2.3); the index keeps the first
    // value of the single-valued built-in attributes, which is all they have.
    const candidates = isName ? vs.slice(0, 1) : levelOf[c.tag] && !isArray(c.tag) ? vs.slice(0, 1) : vs;
    const empty = candidates.length === 0 || (isDate(c.tag, vr) && candidates.every((v) => dayNumber(v) === undefined));
    if (empty) return query.emptyValueMatching === true;
    const ok = this.valueMatches(e, c, candidates, query, vr);
    return ok;
  }

  private valueMatches(
    e: Entity,
    c: Exclude<MatchCondition, { kind: 'universal' | 'sequence' }>,
    vs: string[],
    query: SearchQuery,
    vr: string | undefined,
  ): boolean {
    const isName = personNameTags.has(c.tag) || vr === 'PN';
    const isNumber =
      numberTags.has(c.tag) || (vr !== undefined && ['IS', 'DS', 'US', 'SS', 'UL', 'SL', 'FL', 'FD'].includes(vr));
    // A single value is literal (a query value with "*" or "?" is Wild Card Matching, PS3.4 §C.2.2.2.4 note 4).
    const one = (value: string, v: string, wild: boolean): boolean => {
      if (isName) {
        if (query.fuzzy && personNameTags.has(c.tag)) {
          const q = words(value).map((w) => w.replace(/\*+$/, ''));
          if (!q.some((w) => /[*?]/.test(w))) {
            const have = v.split('=').flatMap(words);
            return q.filter((w) => w !== '').every((w) => have.some((h) => h.startsWith(w)));
          }
        }
        const stored = foldName(literalGroup(v));
        return wild ? wildcardMatches(fold(value), stored) : stored === foldName(value);
      }
      if (isNumber) return Number(v) === Number(value);
      return wild ? wildcardMatches(value, v) : v === value;
    };
    switch (c.kind) {
      case 'single':
        return vs.some((v) => one(c.value, v, false));
      case 'wildcard':
        return vs.some((v) => one(c.pattern, v, true));
      case 'uidList':
        return vs.some((v) => c.values.includes(v));
      case 'multiple':
        return c.values.some((value) => vs.some((v) => one(value, v, /[*?]/.test(value))));
      case 'range':
        return vs.some((v) => this.rangeMatches(e, c, v, query, vr));
    }
  }

  /**
   * Range Matching (PS3.4 §C.2.2.2.5): inclusive, open ends allowed; a date with its time as one date-time
   * (combined matching), where an entity without a time matches when its date is within the range's dates.
   * With a query TimezoneOffsetFromUTC, the dates and times of an entity with an offset of its own (its study's)
   * are moved to the query's offset first.
   */
  private rangeMatches(
    e: Entity,
    c: Extract<MatchCondition, { kind: 'range' }>,
    v: string,
    query: SearchQuery,
    vr: string | undefined,
  ): boolean {
    const zone = query.timezoneOffsetMinutes;
    const own = offsetMinutes(values(e.study.first, Tag.TimezoneOffsetFromUTC)[0]);
    const adjust = zone !== undefined && own !== undefined && own !== zone;
    if (isTime(c.tag, vr)) {
      let t = timeOfDay(v);
      if (t === undefined) return false;
      if (adjust && zonedTimes.has(c.tag)) t = (((t + (zone! - own!) * 60e6) % dayMicros) + dayMicros) % dayMicros;
      return (c.from === undefined || t >= timeOfDay(c.from)!) && (c.to === undefined || t <= timeOfDay(c.to)!);
    }
    if (vr === 'DT') {
      return (c.from === undefined || v >= c.from) && (c.to === undefined || v <= c.to);
    }
    const day = dayNumber(v);
    if (day === undefined) return false;
    const timeTag = zonedDates[c.tag];
    const timeValue = timeTag !== undefined ? this.attribute(e, timeTag)[0] : undefined;
    const time = timeValue !== undefined ? timeOfDay(timeValue) : undefined;
    const fromDay = c.from !== undefined ? dayNumber(c.from.slice(0, 8))! : undefined;
    const toDay = c.to !== undefined ? dayNumber(c.to.slice(0, 8))! : undefined;
    if (adjust && timeTag !== undefined && time !== undefined) {
      const at = instant(day, time) - own! * 60e6;
      const from =
        c.from === undefined
          ? undefined
          : dtMicros(c.from.length > 8 ? c.from : `${c.from}000000.000000`) - zone! * 60e6;
      const to =
        c.to === undefined ? undefined : dtMicros(c.to.length > 8 ? c.to : `${c.to}235959.999999`) - zone! * 60e6;
      return (from === undefined || at >= from) && (to === undefined || at <= to);
    }
    if ((fromDay !== undefined && day < fromDay) || (toDay !== undefined && day > toDay)) return false;
    if (c.timeTag === undefined || time === undefined) return true;
    const at = instant(day, time);
    return (c.from === undefined || at >= dtMicros(c.from)) && (c.to === undefined || at <= dtMicros(c.to));
  }

  /**
   * Sequence Matching (PS3.4 §C.2.2.2.6): some item of the entity's sequence matches every item key; with
   * emptyvaluematching an item without the key matches it too, and so does an entity without items.
   */
  private sequenceMatches(e: Entity, c: Extract<MatchCondition, { kind: 'sequence' }>, query: SearchQuery): boolean {
    const active = c.items.filter((m) => m.kind !== 'universal' && !(m.kind === 'wildcard' && /^\*+$/.test(m.pattern)));
    if (active.length === 0) return true;
    const items = (e.series!.first[c.tag]?.Value ?? []) as DicomJsonDataset[];
    if (items.length === 0) return query.emptyValueMatching === true;
    return items.some((item) =>
      active.every((m) => {
        const vs = values(item, m.tag).slice(0, 1);
        if (vs.length === 0) return query.emptyValueMatching === true;
        return this.valueMatches(
          e,
          m as Exclude<MatchCondition, { kind: 'universal' | 'sequence' }>,
          vs,
          { ...query, fuzzy: false },
          'SH',
        );
      }),
    );
  }
}

interface Entity {
  study: OracleStudy;
  series?: OracleSeries;
  instance?: InstanceRecord;
}

const isArray = (tag: string) => tag === Tag.ModalitiesInStudy || tag === Tag.SOPClassesInStudy;
const isDate = (tag: string, vr: string | undefined) =>
  vr === 'DA' ||
  tag === Tag.StudyDate ||
  tag === Tag.PatientBirthDate ||
  tag === Tag.PerformedProcedureStepStartDate ||
  tag === Tag.ContentDate;
const isTime = (tag: string, vr: string | undefined) =>
  vr === 'TM' || tag === Tag.StudyTime || tag === Tag.PerformedProcedureStepStartTime || tag === Tag.ContentTime;

/** Whether `tag` is a key the oracle (and the index) can match at `level`. */
export const oracleMatchable = (tag: string, level: SearchLevel): boolean =>
  levelOf[tag] !== undefined && rank[levelOf[tag]!] <= rank[level];
