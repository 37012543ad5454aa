import { isBinaryVr, isVr, VR, vrInfo } from './vr';

describe('VR table', () => {
  it('has the 34 VRs of PS3.5 Table 6.2-1', () => {
    expect(Object.keys(VR)).toHaveLength(34);
    expect(isVr('PN')).toBe(true);
    expect(isVr('XX')).toBe(false);
    expect(isVr('toString')).toBe(false);
    expect(vrInfo('XX')).toBeUndefined();
  });

  it('gives the VRs of PS3.5 §7.1.2 a 32-bit length in Explicit VR, the others 16 bits', () => {
    const long = Object.entries(VR)
      .filter(([, v]) => v.lengthBytes === 4)
      .map(([k]) => k);
    expect(long.sort()).toEqual(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
  });

  it('applies Specific Character Set to SH, LO, ST, LT, UC, UT and PN only (PS3.5 §6.1.2.3)', () => {
    const charset = Object.entries(VR)
      .filter(([, v]) => v.charset)
      .map(([k]) => k);
    expect(charset.sort()).toEqual(['LO', 'LT', 'PN', 'SH', 'ST', 'UC', 'UT']);
  });

  it('marks the VRs PS3.18 allows as BulkDataURI and InlineBinary (§F.2.2)', () => {
    const bulk = Object.entries(VR)
      .filter(([, v]) => v.bulkData)
      .map(([k]) => k);
    expect(bulk.sort()).toEqual([
      'DS',
      'FD',
      'FL',
      'IS',
      'LT',
      'OB',
      'OD',
      'OF',
      'OL',
      'OV',
      'OW',
      'SL',
      'SS',
      'ST',
      'SV',
      'UC',
      'UL',
      'UN',
      'US',
      'UT',
      'UV',
    ]);
    const inline = Object.entries(VR)
      .filter(([, v]) => v.inlineBinary)
      .map(([k]) => k);
    expect(inline.sort()).toEqual(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);
    expect(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN'].every(isBinaryVr)).toBe(true);
    expect(isBinaryVr('US')).toBe(false);
  });

  it('pads UI and binary values with NUL and other text with a space (PS3.5 §6.2)', () => {
    expect(VR.UI.padding).toBe(0);
    expect(VR.OB.padding).toBe(0);
    expect(VR.LO.padding).toBe(0x20);
    expect([VR.LT.multiValued, VR.ST.multiValued, VR.UT.multiValued, VR.UR.multiValued]).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });
});
