import { Readable } from 'node:stream';

const boundary = 'bench-boundary-5f0c2e';
export const stowContentType = `multipart/related; type="application/dicom"; boundary=${boundary}`;

/** A multipart/related body of instances, as chunks (streamed by fetch). */
export async function* stowChunks(
  instances: AsyncIterable<Uint8Array | AsyncIterable<Uint8Array>> | Iterable<Uint8Array | AsyncIterable<Uint8Array>>,
): AsyncGenerator<Uint8Array> {
  for await (const instance of instances) {
    yield Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`);
    if (instance instanceof Uint8Array) yield instance;
    else yield* instance;
    yield Buffer.from('\r\n');
  }
  yield Buffer.from(`--${boundary}--\r\n`);
}

export async function stow(
  url: string,
  body: AsyncIterable<Uint8Array>,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': stowContentType, Accept: 'application/dicom+json', ...headers },
    body: Readable.toWeb(Readable.from(body)) as ReadableStream,
    duplex: 'half',
  } as RequestInit);
  return { status: response.status, text: await response.text() };
}

/** Percentile of a sorted-or-not list of numbers. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}
