// DICOM DT values (PS3.5 Table 6.2-1) and the SQL timestamps the worklist keeps them in.

const dtPattern = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,6}))?([+-]\d{4})?$/;

/**
 * A DT value as an SQL `timestamp` literal ('YYYY-MM-DD HH:MM:SS.FFFFFF'): missing components are the
 * start of their span; the UTC offset, if any, is ignored (the worklist compares DT values as local
 * times; what this server writes is UTC). Undefined for a value that is not a valid DT.
 */
export function dtToSqlTimestamp(value: string): string | undefined {
  const m = dtPattern.exec(value.trim());
  if (!m) return undefined;
  const [, year, month = '01', day = '01', hh = '00', mm = '00', ss = '00', frac = ''] = m;
  const mo = Number(month);
  const d = Number(day);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || Number(hh) > 23 || Number(mm) > 59 || Number(ss) > 60) {
    return undefined;
  }
  const date = new Date(Date.UTC(Number(year), mo - 1, d));
  if (date.getUTCMonth() !== mo - 1) return undefined; // 31 April and the like
  return `${year}-${month}-${day} ${hh}:${mm}:${ss === '60' ? '59' : ss}.${frac.padEnd(6, '0')}`;
}

/** A bound of parseQidoQuery's DT ranges ('YYYYMMDDHHMMSS.FFFFFF') as an SQL timestamp literal. */
export function dtBoundToSqlTimestamp(bound: string): string {
  const b = bound.padEnd(21, '0');
  return `${b.slice(0, 4)}-${b.slice(4, 6)}-${b.slice(6, 8)} ${b.slice(8, 10)}:${b.slice(10, 12)}:${b.slice(12, 14)}.${b.slice(15, 21)}`;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** `date` as a DICOM DT in UTC with its offset: 'YYYYMMDDHHMMSS.FFFFFF+0000'. */
export function formatDt(date: Date): string {
  return (
    `${pad(date.getUTCFullYear(), 4)}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}` +
    `${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}` +
    `.${pad(date.getUTCMilliseconds(), 3)}000+0000`
  );
}

/** `date` as an SQL timestamp literal in UTC. */
export function sqlTimestampOf(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '');
}
