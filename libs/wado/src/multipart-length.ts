/**
 * The length of the multipart/related body @pacs/dicomweb's multipartRelated writes for parts of known
 * lengths (RFC 2046 §5.1.1: "--boundary" CRLF, header fields, CRLF, body; CRLF before each later delimiter;
 * "--boundary--" CRLF at the end), so a response of originals can carry Content-Length. The spec checks this
 * against the writer's own output.
 */
export function multipartLength(
  boundary: string,
  parts: readonly { headers: Readonly<Record<string, string>>; length: number }[],
): number {
  const delimiter = Buffer.byteLength(`--${boundary}\r\n`, 'latin1');
  let total = 0;
  parts.forEach((part, i) => {
    total += (i === 0 ? 0 : 2) + delimiter;
    for (const [name, value] of Object.entries(part.headers))
      total += Buffer.byteLength(`${name}: ${value}\r\n`, 'latin1');
    total += 2 + part.length;
  });
  return total + (parts.length === 0 ? 0 : 2) + Buffer.byteLength(`--${boundary}--\r\n`, 'latin1');
}
