import { DicomwebError } from '../errors/dicomweb-error';

/** Most frames one request may name: the list is one path segment, and every frame is read (or rendered). */
const maxFrames = 10_000;

/** '1,3,5' → [1, 3, 5] (PS3.18 §10.4.1.1.4: a comma-separated list of frame numbers, the first frame is 1). */
export function parseFrameList(text: string): number[] {
  const frames = text.split(',').map((s) => (/^\d{1,9}$/.test(s.trim()) ? Number(s.trim()) : NaN));
  if (frames.length > maxFrames || frames.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new DicomwebError('BadRequest', 'The frame list must be comma-separated frame numbers starting at 1');
  }
  return frames;
}
