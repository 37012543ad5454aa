/**
 * A PostgreSQL array literal of texts ('{"a","b"}'), for one row's array in an unnest() of many rows (a
 * text[][] parameter would be flattened): every element quoted, with " and \ escaped.
 */
export function pgTextArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}
