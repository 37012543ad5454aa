// The body of POST /dicomweb/extended-query-tags: which attributes to index for matching, at which level.
//   [{ "path": "PatientAge" | "00101010", "level"?: "study" | "series" | "instance", "vr"?: "AS" }]
// A path names one top-level attribute by PS3.6 keyword or 8-hex tag; a private attribute needs its VR.
import { isPrivateTag, lookupKeyword, lookupTag } from '@pacs/dicom';
import { DicomwebError } from '@pacs/dicomweb';
import {
  extendedTagValueKinds,
  isBuiltInMatchingKey,
  patientLevelTags,
  seriesLevelTags,
  studyLevelTags,
  type ExtendedQueryTagDefinition,
  type ExtendedTagLevel,
} from '@pacs/index';

/** Tags one request may declare. */
export const maxTagsPerRequest = 128;

const levels = new Set<string>(['study', 'series', 'instance']);
const bad = (message: string) => new DicomwebError('BadRequest', message);

/** The level an attribute belongs to by its module's Information Entity (PS3.3), for a tag declared without one. */
export function defaultLevelOf(tag: string): ExtendedTagLevel {
  if (patientLevelTags.has(tag) || studyLevelTags.has(tag)) return 'study';
  if (seriesLevelTags.has(tag)) return 'series';
  return 'instance';
}

/** An attribute path: a keyword or an 8-hex tag (any case), no sequence paths. */
export function attributeOfPath(path: string): { tag: string; keyword: string; vr: string | undefined } {
  if (/^[0-9A-Fa-f]{8}$/.test(path)) {
    const tag = path.toUpperCase();
    if (isPrivateTag(tag)) {
      if (tag.slice(4, 6) === '00') throw bad(`${path} is a Private Creator element, which cannot be indexed`);
      return { tag, keyword: '', vr: undefined };
    }
    const entry = lookupTag(tag);
    if (!entry || entry.keyword === '') throw bad(`${path} is not an attribute of the DICOM dictionary (PS3.6)`);
    return { tag, keyword: entry.keyword, vr: entry.vr.split('|')[0] };
  }
  const entry = /^[A-Za-z][A-Za-z0-9]*$/.test(path) ? lookupKeyword(path) : undefined;
  if (!entry || !/^[0-9A-F]{8}$/.test(entry.tag)) {
    throw bad(`${JSON.stringify(path.slice(0, 64))} is not a keyword or tag of a top-level attribute`);
  }
  return { tag: entry.tag, keyword: entry.keyword, vr: entry.vr.split('|')[0] };
}

/**
 * Validates the declarations of a POST. 400 for anything malformed, for VRs that cannot be indexed and for a VR
 * that contradicts the dictionary; 409 for an attribute that is a built-in matching key already.
 * @throws DicomwebError
 */
export function parseExtendedQueryTags(body: unknown): ExtendedQueryTagDefinition[] {
  if (!Array.isArray(body) || body.length === 0) {
    throw bad('The body must be a JSON array of {"path", "level"?, "vr"?} objects');
  }
  if (body.length > maxTagsPerRequest) throw bad(`At most ${maxTagsPerRequest} tags can be declared at once`);
  return body.map((item: unknown, n): ExtendedQueryTagDefinition => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw bad(`Item ${n} is not an object`);
    const { path, level, vr, ...rest } = item as Record<string, unknown>;
    if (Object.keys(rest).length > 0) throw bad(`Item ${n} has unknown members: ${Object.keys(rest).join(', ')}`);
    if (typeof path !== 'string') throw bad(`Item ${n} has no "path"`);
    if (level !== undefined && (typeof level !== 'string' || !levels.has(level.toLowerCase()))) {
      throw bad(`Item ${n}: "level" is study, series or instance`);
    }
    if (vr !== undefined && (typeof vr !== 'string' || !/^[A-Z]{2}$/.test(vr))) throw bad(`Item ${n}: "vr" is a VR`);
    const attribute = attributeOfPath(path);
    if (attribute.vr !== undefined && vr !== undefined && vr !== attribute.vr) {
      throw bad(`Item ${n}: ${attribute.keyword} has VR ${attribute.vr}, not ${vr}`);
    }
    const resolvedVr = attribute.vr ?? vr;
    if (resolvedVr === undefined) throw bad(`Item ${n}: the private attribute ${attribute.tag} needs its "vr"`);
    if (!(resolvedVr in extendedTagValueKinds)) {
      throw bad(
        `Item ${n}: ${attribute.keyword || attribute.tag} has VR ${resolvedVr}; extended query tags can be ${Object.keys(extendedTagValueKinds).join(', ')}`,
      );
    }
    if (isBuiltInMatchingKey(attribute.tag)) {
      throw new DicomwebError('Conflict', `${attribute.keyword} is a built-in matching key already`);
    }
    return {
      tag: attribute.tag,
      keyword: attribute.keyword,
      vr: resolvedVr,
      level: (typeof level === 'string' ? level.toLowerCase() : defaultLevelOf(attribute.tag)) as ExtendedTagLevel,
    };
  });
}
