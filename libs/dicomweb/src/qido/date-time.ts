// DA, TM and DT values of query keys (PS3.5 Table 6.2-1), turned into the inclusive bounds they stand
// for: a value matches the whole span of its precision ("2024" is all of 2024, "10" all of ten o'clock).
// Bounds are fixed-width strings, so that they compare as strings:
//   DA 'YYYYMMDD'   TM 'HHMMSS.FFFFFF'   DT 'YYYYMMDDHHMMSS.FFFFFF' (+ the UTC offset in minutes, if given)

export interface Span {
  lower: string;
  upper: string;
  /** DT only: the offset from UTC the value gave (&ZZXX), in minutes. */
  offsetMinutes?: number;
}

/** Gregorian calendar (Date.UTC would read years 0-99 as 1900-1999). */
const isLeap = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
const daysIn = (year: number, month: number): number =>
  month === 2 ? (isLeap(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** DA: YYYYMMDD, a real calendar date. */
export function daSpan(value: string): Span | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(value);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  return { lower: value, upper: value };
}

/** TM: HH[MM[SS[.F{1,6}]]] (PS3.5 Table 6.2-1; 60 seconds allows a leap second). */
export function tmSpan(value: string): Span | undefined {
  const m = /^(\d{2})(?:(\d{2})(?:(\d{2})(?:\.(\d{1,6}))?)?)?$/.exec(value);
  if (!m) return undefined;
  const [hh, mm, ss, frac] = [m[1]!, m[2], m[3], m[4]];
  if (Number(hh) > 23 || (mm !== undefined && Number(mm) > 59) || (ss !== undefined && Number(ss) > 60)) {
    return undefined;
  }
  const lower = `${hh}${mm ?? '00'}${ss ?? '00'}.${(frac ?? '').padEnd(6, '0')}`;
  const upper = `${hh}${mm ?? '59'}${ss ?? '59'}.${(frac ?? '').padEnd(6, '9')}`;
  return { lower, upper };
}

/** DT: YYYY[MM[DD[HH[MM[SS[.F{1,6}]]]]]][&ZZXX] with &ZZXX from -1200 to +1400 (PS3.5 Table 6.2-1). */
export function dtSpan(value: string): Span | undefined {
  const m = /^(\d{4})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:\.(\d{1,6}))?)?)?)?)?)?([+-]\d{4})?$/.exec(
    value,
  );
  if (!m) return undefined;
  const [year, month, day, hh, mm, ss, frac, offset] = m.slice(1);
  const y = Number(year);
  if (month !== undefined && (Number(month) < 1 || Number(month) > 12)) return undefined;
  if (day !== undefined && (Number(day) < 1 || Number(day) > daysIn(y, Number(month)))) return undefined;
  if (hh !== undefined && Number(hh) > 23) return undefined;
  if (mm !== undefined && Number(mm) > 59) return undefined;
  if (ss !== undefined && Number(ss) > 60) return undefined;
  let offsetMinutes: number | undefined;
  if (offset !== undefined) {
    const hours = Number(offset.slice(1, 3));
    const minutes = Number(offset.slice(3, 5));
    if (minutes > 59) return undefined;
    offsetMinutes = (offset[0] === '-' ? -1 : 1) * (hours * 60 + minutes);
    if (offsetMinutes < -12 * 60 || offsetMinutes > 14 * 60) return undefined;
  }
  const lastMonth = month ?? '12';
  const lastDay = day ?? pad(daysIn(y, Number(lastMonth)), 2);
  const lower = `${year}${month ?? '01'}${day ?? '01'}${hh ?? '00'}${mm ?? '00'}${ss ?? '00'}.${(frac ?? '').padEnd(6, '0')}`;
  const upper = `${year}${lastMonth}${lastDay}${hh ?? '23'}${mm ?? '59'}${ss ?? '59'}.${(frac ?? '').padEnd(6, '9')}`;
  return offsetMinutes === undefined ? { lower, upper } : { lower, upper, offsetMinutes };
}

/** Milliseconds since the epoch of a DT bound, in UTC when it has an offset (else read as UTC). */
export function dtInstant(bound: string, offsetMinutes = 0): number {
  const n = (from: number, to: number): number => Number(bound.slice(from, to));
  const date = new Date(0);
  date.setUTCFullYear(n(0, 4), n(4, 6) - 1, n(6, 8));
  date.setUTCHours(n(8, 10), n(10, 12), n(12, 14));
  return date.getTime() + n(15, 21) / 1000 - offsetMinutes * 60_000;
}
