import { daSpan, dtInstant, dtSpan, tmSpan } from './date-time';

describe('DA, TM and DT spans', () => {
  it('knows leap years of the Gregorian calendar, also before 100 AD', () => {
    expect(daSpan('20240229')).toBeDefined();
    expect(daSpan('20230229')).toBeUndefined();
    expect(daSpan('19000229')).toBeUndefined();
    expect(daSpan('20000229')).toBeDefined();
    expect(daSpan('00000229')).toBeDefined();
    expect(dtSpan('000002')!.upper).toBe('00000229235959.999999');
  });

  it('spans the precision of a time, with a leap second allowed', () => {
    expect(tmSpan('23')).toEqual({ lower: '230000.000000', upper: '235959.999999' });
    expect(tmSpan('235960')).toEqual({ lower: '235960.000000', upper: '235960.999999' });
    expect(tmSpan('1230.5')).toBeUndefined();
  });

  it('reads the UTC offset of a date-time in minutes, within -1200..+1400', () => {
    expect(dtSpan('20240101+0530')!.offsetMinutes).toBe(330);
    expect(dtSpan('20240101-1200')!.offsetMinutes).toBe(-720);
    expect(dtSpan('20240101-1201')).toBeUndefined();
    expect(dtSpan('20240101+1401')).toBeUndefined();
  });

  it('turns a bound and its offset into a UTC instant', () => {
    expect(dtInstant('20240101120000.000000', 60)).toBe(Date.UTC(2024, 0, 1, 11));
    expect(dtInstant('00500101000000.500000') - dtInstant('00500101000000.000000')).toBe(500);
  });
});
