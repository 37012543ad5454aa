import { DicomwebError } from '../errors/dicomweb-error';
import { parseFrameList } from './parse-frame-list';

describe('parseFrameList', () => {
  it('reads a comma-separated list of frame numbers in the order given', () => {
    expect(parseFrameList('3,1,5')).toEqual([3, 1, 5]);
    expect(parseFrameList('7')).toEqual([7]);
  });

  it.each(['0', '1,,2', '-1', 'a', '1.5', '', `1${',1'.repeat(10_000)}`])('refuses %s with a 400', (text) => {
    expect(() => parseFrameList(text)).toThrow(DicomwebError);
  });
});
