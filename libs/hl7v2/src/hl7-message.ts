import { type Hl7Charset } from './charset';
import { type Hl7Delimiters } from './delimiters';
import { unescapeHl7, type Hl7FormattingMode } from './escape';
import { formatHl7Path, parseHl7Path, type Hl7Path } from './parse-hl7-path';

/**
 * The HL7 null: a field sent as two double quotes means "delete the value the receiver holds"
 * (v2.5 §2.5.3), unlike an empty field, which means "not sent, keep what you have".
 */
export const HL7_NULL = '""';

/** What every segment of a message shares: its delimiters, charset and formatting rule. */
export interface Hl7Context {
  readonly delimiters: Hl7Delimiters;
  readonly charset: Hl7Charset;
  readonly formatting: Hl7FormattingMode;
}

const split = (text: string, separator: string): string[] => (separator ? text.split(separator) : [text]);

/**
 * One segment. `fields[n]` is the encoded text of field n (`fields[0]` is the segment name). In MSH,
 * `fields[1]` is the field separator and `fields[2]` the encoding characters, so MSH-n is `fields[n]` as
 * in every other segment (v2.5 §2.5.4: "MSH-1 is the field separator").
 */
export class Hl7Segment {
  constructor(
    readonly name: string,
    readonly fields: readonly string[],
    private readonly context: Hl7Context,
    /** 1-based position among the segments of the same name. */
    readonly index = 1,
  ) {}

  /** The highest field number present. */
  get fieldCount(): number {
    return this.fields.length - 1;
  }

  /**
   * The encoded text of a field, a repetition, a component or a subcomponent; '' when absent. Leaving out
   * the repetition gives the whole field with its repetitions.
   */
  raw(field: number, repetition?: number, component?: number, subcomponent?: number): string {
    const text = this.fields[field] ?? '';
    if (this.isMshDelimiterField(field) || repetition === undefined) return text;
    const d = this.context.delimiters;
    const rep = split(text, d.repetition)[repetition - 1] ?? '';
    if (component === undefined) return rep;
    const comp = split(rep, d.component)[component - 1] ?? '';
    if (subcomponent === undefined) return comp;
    return split(comp, d.subcomponent)[subcomponent - 1] ?? '';
  }

  /**
   * The decoded text at field/repetition/component/subcomponent, each defaulting to 1 (HL7 "terser"
   * semantics: PID-5 reads PID-5[1]-1-1); '' when absent. Escape sequences are replaced (see unescapeHl7).
   */
  value(field: number, repetition = 1, component = 1, subcomponent = 1): string {
    if (this.isMshDelimiterField(field)) return this.fields[field] ?? '';
    const encoded = this.raw(field, repetition, component, subcomponent);
    return unescapeHl7(encoded, this.context.delimiters, {
      charset: this.context.charset,
      formatting: this.context.formatting,
      location: formatHl7Path({ segment: this.name, field, repetition, component, subcomponent }),
    });
  }

  /** The decoded components of one repetition of a field, each component read at its first subcomponent. */
  components(field: number, repetition = 1): string[] {
    const rep = this.raw(field, repetition);
    if (rep === '') return [];
    return split(rep, this.context.delimiters.component).map((_, i) => this.value(field, repetition, i + 1));
  }

  /** The decoded subcomponents of one component (HD inside CX, CNN inside NDL …). */
  subcomponents(field: number, repetition = 1, component = 1): string[] {
    const comp = this.raw(field, repetition, component);
    if (comp === '') return [];
    return split(comp, this.context.delimiters.subcomponent).map((_, i) =>
      this.value(field, repetition, component, i + 1),
    );
  }

  /** How many repetitions field n has (0 when empty). */
  repetitionCount(field: number): number {
    const text = this.fields[field] ?? '';
    if (text === '') return 0;
    if (this.isMshDelimiterField(field)) return 1;
    return split(text, this.context.delimiters.repetition).length;
  }

  toString(): string {
    const sep = this.context.delimiters.field;
    if (this.name === 'MSH') return ['MSH', ...this.fields.slice(2)].join(sep);
    return this.fields.join(sep);
  }

  private isMshDelimiterField(field: number): boolean {
    return this.name === 'MSH' && (field === 1 || field === 2);
  }
}

/** The type of a message (MSH-9, MSG data type): code ^ trigger event ^ message structure. */
export interface Hl7MessageType {
  readonly code: string;
  readonly trigger: string;
  readonly structure: string;
}

/** A parsed message; build one with parseHl7(). Reading never changes it. */
export class Hl7Message {
  private readonly byName = new Map<string, Hl7Segment[]>();

  constructor(
    readonly segmentList: readonly Hl7Segment[],
    private readonly context: Hl7Context,
  ) {
    for (const segment of segmentList) {
      const list = this.byName.get(segment.name);
      if (list) list.push(segment);
      else this.byName.set(segment.name, [segment]);
    }
  }

  get delimiters(): Hl7Delimiters {
    return this.context.delimiters;
  }

  get charset(): Hl7Charset {
    return this.context.charset;
  }

  /** The MSH segment (always the first). */
  get header(): Hl7Segment {
    return this.segmentList[0] as Hl7Segment;
  }

  /** MSH-9. */
  get messageType(): Hl7MessageType {
    const h = this.header;
    return { code: h.value(9, 1, 1), trigger: h.value(9, 1, 2), structure: h.value(9, 1, 3) };
  }

  /** MSH-10, echoed in MSA-2 of the acknowledgment. */
  get controlId(): string {
    return this.header.value(10);
  }

  /** MSH-12.1 ('2.5.1'). */
  get version(): string {
    return this.header.value(12);
  }

  /** All segments named `name`, in message order; every segment when no name is given. */
  segments(name?: string): Hl7Segment[] {
    if (name === undefined) return [...this.segmentList];
    return [...(this.byName.get(name) ?? [])];
  }

  /** The n-th (1-based) segment named `name`. */
  segment(name: string, index = 1): Hl7Segment | undefined {
    return this.byName.get(name)?.[index - 1];
  }

  /** The decoded value at a path ('PID-5-1', 'PID-3[2]-4-1', 'OBX[2]-5'); '' when absent. */
  get(path: string | Hl7Path): string {
    const p = typeof path === 'string' ? parseHl7Path(path) : path;
    const segment = this.segment(p.segment, p.segmentIndex ?? 1);
    if (!segment) return '';
    return segment.value(p.field, p.repetition ?? 1, p.component ?? 1, p.subcomponent ?? 1);
  }

  /** The encoded text a path names (a whole field with its repetitions when no repetition is given). */
  raw(path: string | Hl7Path): string {
    const p = typeof path === 'string' ? parseHl7Path(path) : path;
    const segment = this.segment(p.segment, p.segmentIndex ?? 1);
    if (!segment) return '';
    if (p.repetition === undefined && p.component === undefined) return segment.raw(p.field);
    return segment.raw(p.field, p.repetition ?? 1, p.component, p.subcomponent);
  }

  /** How many repetitions the field of a path has. */
  repetitionCount(path: string | Hl7Path): number {
    const p = typeof path === 'string' ? parseHl7Path(path) : path;
    return this.segment(p.segment, p.segmentIndex ?? 1)?.repetitionCount(p.field) ?? 0;
  }

  /** The message with CR between segments (v2.5 §2.5.1), in the delimiters it was received with. */
  toString(): string {
    return this.segmentList.map((s) => s.toString()).join('\r');
  }
}
