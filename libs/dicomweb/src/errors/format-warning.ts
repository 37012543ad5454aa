/** Longest reason text put in a header; longer texts are cut (the JSON body keeps the whole message). */
const maxWarningText = 256;

/**
 * The value of a Warning header field in the form PS3.18 uses for every transaction
 * (e.g. §11.6.3.2, §11.7.3.2: `Warning: 299 <service>: <text>`); 299 is RFC 7234 §5.5.7 "Miscellaneous
 * Persistent Warning". Characters a header cannot carry (controls, non-ASCII) become '?', so text that
 * echoes a request value cannot split or corrupt the header. `service` is the warn-agent (a pseudonym).
 */
export function formatWarning(text: string, service = 'pacs'): string {
  const clean = (s: string): string =>
    s
      .replace(/[^\x20-\x7e]/g, '?')
      .replace(/\s+/g, ' ')
      .trim();
  let reason = clean(text);
  if (reason.length > maxWarningText) reason = `${reason.slice(0, maxWarningText - 3)}...`;
  const agent = clean(service).replace(/\s/g, '-') || '-';
  return `299 ${agent}: ${reason}`;
}

/** Warning texts PS3.18 prescribes word for word. */
export const WarningText = {
  /** PS3.18 §8.3.4.4.1: more matches exist than the response carries. */
  additionalResults: 'There are additional results that can be requested',
  /** PS3.18 §8.3.4.2: the origin server performed only literal matching. */
  fuzzyMatchingNotSupported: 'The fuzzymatching parameter is not supported. Only literal matching has been performed.',
} as const;
