import { Tag, type DicomJsonDataset } from '@pacs/dicom';

/** Frame VOI LUT macro (PS3.3 C.7.6.16.2.10, and .10b "with LUT"): the window or VOI LUT of a frame. */
const voiTags = [
  Tag.WindowCenter,
  Tag.WindowWidth,
  Tag.WindowCenterWidthExplanation,
  Tag.VOILUTFunction,
  Tag.VOILUTSequence,
];
/** Pixel Value Transformation macro (PS3.3 C.7.6.16.2.9): the rescale of a frame. */
const rescaleTags = [Tag.RescaleIntercept, Tag.RescaleSlope, Tag.RescaleType];

const firstItem = (ds: DicomJsonDataset | undefined, tag: string): DicomJsonDataset | undefined => {
  const value = ds?.[tag]?.Value?.[0];
  return typeof value === 'object' && value !== null ? (value as DicomJsonDataset) : undefined;
};

/**
 * The data set as the pixel pipeline should see it for one frame of an enhanced multi-frame image: the rescale
 * and VOI of its functional groups (PS3.3 C.7.6.16: the Per-Frame Functional Groups Sequence item of the frame,
 * else the Shared Functional Groups Sequence) lifted to the top level, where pixelModuleOf reads them. Data sets
 * without functional groups come back as they are.
 */
export function datasetOfFrame(dataset: DicomJsonDataset, frameNumber: number): DicomJsonDataset {
  const shared = firstItem(dataset, Tag.SharedFunctionalGroupsSequence);
  const perFrameValue = dataset[Tag.PerFrameFunctionalGroupsSequence]?.Value?.[frameNumber - 1];
  const perFrame =
    typeof perFrameValue === 'object' && perFrameValue !== null ? (perFrameValue as DicomJsonDataset) : undefined;
  if (!shared && !perFrame) return dataset;
  const out: DicomJsonDataset = { ...dataset };
  for (const [sequence, tags] of [
    [Tag.PixelValueTransformationSequence, rescaleTags],
    [Tag.FrameVOILUTSequence, voiTags],
  ] as const) {
    // The per-frame item wins over the shared one (C.7.6.16.1.1: a macro is in one of them, not both).
    const item = firstItem(perFrame, sequence) ?? firstItem(shared, sequence);
    if (!item) continue;
    for (const tag of tags) {
      if (item[tag] !== undefined) out[tag] = item[tag];
      else if (sequence === Tag.FrameVOILUTSequence) delete out[tag];
    }
  }
  return out;
}
