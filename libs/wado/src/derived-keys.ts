// Where WADO-RS keeps the objects it derives from the originals, in the same blob store, under its own
// prefix per partition and series (so a study's or series' derived objects go with one prefix delete):
//
//   p/{partition}/wado/studies/{study}/series/{series}/metadata.json          the series metadata document
//   p/{partition}/wado/studies/{study}/series/{series}/instances/{sop}/{sha256}/inflated.dcm
//                                                                            a Deflated original, inflated
//   p/{partition}/wado/studies/{study}/series/{series}/instances/{sop}/{sha256}/{transfer syntax}.dcm
//                                                                            a transcoded instance
//
// Objects of an instance are named by the SHA-256 of its original: the same content always gives the same
// derived objects, and a replaced original (after a delete) never meets the objects of the old one.

export interface SeriesRef {
  partitionId: number;
  studyUid: string;
  seriesUid: string;
}

export interface InstanceRef extends SeriesRef {
  sopUid: string;
  /** SHA-256 of the stored original. */
  sha256: string;
}

export const studyPrefix = (partitionId: number, studyUid: string): string =>
  `p/${partitionId}/wado/studies/${studyUid}/`;

export const seriesPrefix = (s: SeriesRef): string => `${studyPrefix(s.partitionId, s.studyUid)}series/${s.seriesUid}/`;

export const seriesMetadataKey = (s: SeriesRef): string => `${seriesPrefix(s)}metadata.json`;

export const instancePrefix = (i: InstanceRef): string => `${seriesPrefix(i)}instances/${i.sopUid}/${i.sha256}/`;

export const inflatedKey = (i: InstanceRef): string => `${instancePrefix(i)}inflated.dcm`;

export const transcodedKey = (i: InstanceRef, transferSyntaxUid: string): string =>
  `${instancePrefix(i)}${transferSyntaxUid}.dcm`;
