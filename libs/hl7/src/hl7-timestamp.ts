/**
 * An HL7 v2 time stamp (TS/DTM, v2.5 §2.A.74: YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]) as Unix
 * milliseconds. Without an offset it is read as UTC. Undefined when it is not a valid time stamp.
 */
export function hl7TimestampToMillis(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,4}))?([+-]\d{4})?$/.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo = '01', d = '01', hh = '00', mm = '00', ss = '00', frac = '', zone] = m;
  const millis = Date.UTC(
    Number(y),
    Number(mo) - 1,
    Number(d),
    Number(hh),
    Number(mm),
    Number(ss),
    Number(frac.padEnd(3, '0').slice(0, 3)),
  );
  const date = new Date(millis);
  if (Number.isNaN(millis) || date.getUTCMonth() !== Number(mo) - 1 || Number(hh) > 23 || Number(mm) > 59) {
    return undefined;
  }
  if (!zone) return millis;
  const offset = (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5)));
  return millis - offset * 60_000;
}
