/**
 * An address inside a message. Every index is 1-based, as the standard numbers fields and components
 * (PID-5-1 is the family name): `segmentIndex` counts segments of that name (OBX[2] is the second OBX),
 * `repetition` counts repetitions of the field (PID-3[2] is the second identifier). An index left out
 * of a path is undefined; readers take 1 for it.
 */
export interface Hl7Path {
  readonly segment: string;
  readonly segmentIndex?: number;
  readonly field: number;
  readonly repetition?: number;
  readonly component?: number;
  readonly subcomponent?: number;
}

// SEG[n]-F[n]-C-S with '-' or '.' between parts: 'PID-5-1', 'PID.5.1', 'PID-3[2]-4-1', 'OBX[2]-5'.
const pathPattern = /^([A-Z][A-Z0-9]{2})(?:\[(\d+)\])?[-.](\d+)(?:\[(\d+)\])?(?:[-.](\d+)(?:[-.](\d+))?)?$/;

/** Parses 'PID-3[2]-4-1'; throws a TypeError for anything else (a programming error, not bad input). */
export function parseHl7Path(path: string): Hl7Path {
  const m = pathPattern.exec(path.trim());
  if (!m) throw new TypeError(`invalid HL7 path '${path}' (expected e.g. PID-5-1, PID-3[2]-1, OBX[2]-5)`);
  const num = (s: string | undefined): number | undefined => {
    if (s === undefined) return undefined;
    const n = Number(s);
    if (n < 1) throw new TypeError(`invalid HL7 path '${path}': indexes start at 1`);
    return n;
  };
  const field = Number(m[3]);
  if (field < 1) throw new TypeError(`invalid HL7 path '${path}': fields start at 1`);
  return {
    segment: m[1] as string,
    segmentIndex: num(m[2]),
    field,
    repetition: num(m[4]),
    component: num(m[5]),
    subcomponent: num(m[6]),
  };
}

/** The canonical text of a path: 'PID[1]-3[2]-4-1' without the indexes left out. */
export function formatHl7Path(p: Hl7Path): string {
  let s = p.segment + (p.segmentIndex ? `[${p.segmentIndex}]` : '') + `-${p.field}`;
  if (p.repetition) s += `[${p.repetition}]`;
  if (p.component) s += `-${p.component}`;
  if (p.component && p.subcomponent) s += `-${p.subcomponent}`;
  return s;
}
