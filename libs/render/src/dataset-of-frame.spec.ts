import { Tag, type DicomJsonDataset } from '@pacs/dicom';
import { pixelModuleOf } from '@pacs/imaging';
import { datasetOfFrame } from './dataset-of-frame';

const image: DicomJsonDataset = {
  [Tag.Rows]: { vr: 'US', Value: [2] },
  [Tag.Columns]: { vr: 'US', Value: [2] },
  [Tag.SamplesPerPixel]: { vr: 'US', Value: [1] },
  [Tag.PhotometricInterpretation]: { vr: 'CS', Value: ['MONOCHROME2'] },
  [Tag.BitsAllocated]: { vr: 'US', Value: [16] },
  [Tag.BitsStored]: { vr: 'US', Value: [16] },
  [Tag.HighBit]: { vr: 'US', Value: [15] },
  [Tag.PixelRepresentation]: { vr: 'US', Value: [1] },
  [Tag.NumberOfFrames]: { vr: 'IS', Value: [2] },
};
const voi = (center: number, width: number): DicomJsonDataset => ({
  [Tag.FrameVOILUTSequence]: {
    vr: 'SQ',
    Value: [{ [Tag.WindowCenter]: { vr: 'DS', Value: [center] }, [Tag.WindowWidth]: { vr: 'DS', Value: [width] } }],
  },
});
const rescale = (intercept: number): DicomJsonDataset => ({
  [Tag.PixelValueTransformationSequence]: {
    vr: 'SQ',
    Value: [{ [Tag.RescaleIntercept]: { vr: 'DS', Value: [intercept] }, [Tag.RescaleSlope]: { vr: 'DS', Value: [1] } }],
  },
});

describe('datasetOfFrame (PS3.3 C.7.6.16)', () => {
  const enhanced: DicomJsonDataset = {
    ...image,
    [Tag.SharedFunctionalGroupsSequence]: { vr: 'SQ', Value: [{ ...rescale(-1024), ...voi(40, 400) }] },
    [Tag.PerFrameFunctionalGroupsSequence]: { vr: 'SQ', Value: [{}, { ...voi(500, 2000) }] },
  };

  it('lifts the shared rescale and VOI to the top level', () => {
    const pm = pixelModuleOf(datasetOfFrame(enhanced, 1));
    expect([pm.rescaleIntercept, pm.rescaleSlope, pm.windows]).toEqual([-1024, 1, [{ center: 40, width: 400 }]]);
  });

  it("prefers the frame's own functional groups", () => {
    const pm = pixelModuleOf(datasetOfFrame(enhanced, 2));
    expect([pm.rescaleIntercept, pm.windows]).toEqual([-1024, [{ center: 500, width: 2000 }]]);
  });

  it('returns a data set without functional groups as it is', () => {
    expect(datasetOfFrame(image, 1)).toBe(image);
  });
});
