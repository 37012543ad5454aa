// URLs of the DICOMweb resources (PS3.18 §10.4.1 "Retrieve Target Resources"), for RetrieveURL
// (0008,1190), Content-Location and BulkDataURI.

export interface DicomwebUrls {
  /** The DICOMweb root, without a trailing slash. */
  readonly base: string;
  /** {base}/studies */
  studies(): string;
  /** {base}/studies/{study} */
  study(studyUid: string): string;
  /** {base}/studies/{study}/series/{series} */
  series(studyUid: string, seriesUid: string): string;
  /** {base}/studies/{study}/series/{series}/instances/{instance} */
  instance(studyUid: string, seriesUid: string, sopInstanceUid: string): string;
  /** The metadata resource of a study, series or instance (PS3.18 §10.4.1.1.2). */
  metadata(studyUid: string, seriesUid?: string, sopInstanceUid?: string): string;
  /** {instance}/frames/{1,2,3} (PS3.18 §10.4.1.1.4). */
  frames(studyUid: string, seriesUid: string, sopInstanceUid: string, frameNumbers: readonly number[]): string;
  /** {instance}/bulkdata/{path}: `path` is relative to the instance's bulkdata, '/'-separated. */
  bulkdata(studyUid: string, seriesUid: string, sopInstanceUid: string, path: string): string;
  /** The rendered resource of a study, series, instance or frames (PS3.18 §10.4.1.1.3). */
  rendered(studyUid: string, seriesUid?: string, sopInstanceUid?: string, frameNumbers?: readonly number[]): string;
  /** The thumbnail resource of a study, series, instance or frames (PS3.18 §10.4.1.1.5). */
  thumbnail(studyUid: string, seriesUid?: string, sopInstanceUid?: string, frameNumbers?: readonly number[]): string;
}

const segment = (value: string): string => encodeURIComponent(value);

function frameList(frameNumbers: readonly number[]): string {
  if (frameNumbers.length === 0 || frameNumbers.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new RangeError('Frame numbers are integers from 1');
  }
  return frameNumbers.join(',');
}

/** URL builders under `base`, the absolute DICOMweb root (see resolveBaseUrl). */
export function dicomwebUrls(base: string): DicomwebUrls {
  const root = base.replace(/\/+$/, '');
  const study = (s: string): string => `${root}/studies/${segment(s)}`;
  const series = (s: string, se: string): string => `${study(s)}/series/${segment(se)}`;
  const instance = (s: string, se: string, i: string): string => `${series(s, se)}/instances/${segment(i)}`;
  const target = (s: string, se?: string, i?: string, frames?: readonly number[]): string => {
    if (se === undefined) return study(s);
    if (i === undefined) return series(s, se);
    return frames === undefined ? instance(s, se, i) : `${instance(s, se, i)}/frames/${frameList(frames)}`;
  };
  return {
    base: root,
    studies: () => `${root}/studies`,
    study,
    series,
    instance,
    metadata: (s, se, i) => `${target(s, se, i)}/metadata`,
    frames: (s, se, i, frames) => `${instance(s, se, i)}/frames/${frameList(frames)}`,
    bulkdata: (s, se, i, path) =>
      `${instance(s, se, i)}/bulkdata/${path.split('/').filter(Boolean).map(segment).join('/')}`,
    rendered: (s, se, i, frames) => `${target(s, se, i, frames)}/rendered`,
    thumbnail: (s, se, i, frames) => `${target(s, se, i, frames)}/thumbnail`,
  };
}
