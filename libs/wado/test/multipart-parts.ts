/** The bodies of the parts of a multipart/related response (RFC 2046 §5.1), for the tests. */
export function multipartParts(body: Buffer, contentType: string): Buffer[] {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)![1]!;
  const out: Buffer[] = [];
  const delimiter = Buffer.from(`--${boundary}`);
  let at = body.indexOf(delimiter);
  while (at !== -1) {
    const start = body.indexOf('\r\n\r\n', at) + 4;
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`), start);
    if (next === -1 || body.subarray(at + delimiter.length, at + delimiter.length + 2).toString() === '--') break;
    out.push(body.subarray(start, next));
    at = next + 2;
  }
  return out;
}
