import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';

const boundary = 'conformance-boundary-7d1a9';

/** A multipart/related STOW-RS body streamed from files (never read whole). */
export function stowBody(parts: ({ path: string } | { bytes: Uint8Array; contentType?: string })[]): Readable {
  async function* body() {
    for (const part of parts) {
      const type = 'path' in part ? 'application/dicom' : (part.contentType ?? 'application/dicom');
      yield Buffer.from(`--${boundary}\r\nContent-Type: ${type}\r\n\r\n`);
      if ('path' in part) yield* createReadStream(part.path);
      else yield Buffer.from(part.bytes);
      yield Buffer.from('\r\n');
    }
    yield Buffer.from(`--${boundary}--\r\n`);
  }
  return Readable.from(body());
}

export const stowContentType = `multipart/related; type="application/dicom"; boundary=${boundary}`;

export interface StowResponse {
  status: number;
  headers: Headers;
  body: Record<string, { vr: string; Value?: unknown[] }>;
}

export async function stow(
  url: string,
  parts: Parameters<typeof stowBody>[0],
  contentType = stowContentType,
): Promise<StowResponse> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': contentType, Accept: 'application/dicom+json' },
    body: Readable.toWeb(stowBody(parts)) as ReadableStream,
    duplex: 'half',
  } as RequestInit);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : {} };
}

/** The parts of a multipart/related response, split on its boundary (small test responses only). */
export function splitMultipart(body: Buffer, contentType: string): { headers: Record<string, string>; body: Buffer }[] {
  const match = /boundary="?([^";]+)"?/i.exec(contentType);
  if (!match) throw new Error(`no boundary in ${contentType}`);
  const delimiter = Buffer.from(`--${match[1]}`);
  const parts: { headers: Record<string, string>; body: Buffer }[] = [];
  let at = body.indexOf(delimiter);
  while (at !== -1) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), start);
    const part = body.subarray(start + 2, next);
    const split = part.indexOf('\r\n\r\n');
    const headers = Object.fromEntries(
      part
        .subarray(0, split)
        .toString()
        .split('\r\n')
        .filter(Boolean)
        .map((line) => [
          line.slice(0, line.indexOf(':')).trim().toLowerCase(),
          line.slice(line.indexOf(':') + 1).trim(),
        ]),
    );
    parts.push({ headers, body: part.subarray(split + 4) });
    at = next + 2;
  }
  return parts;
}

export async function get(
  url: string,
  accept?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const response = await fetch(url, { headers: { ...(accept ? { Accept: accept } : {}), ...headers } });
  return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) };
}
