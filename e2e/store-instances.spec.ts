import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tag } from '@pacs/dicom';
import { buildStowResponse, parseMultipartRelated } from '@pacs/dicomweb';
import { storeInstances, StowError } from './store-instances.ts';

interface Received {
  url: string;
  headers: IncomingMessage['headers'];
  parts: { contentType: string | undefined; body: Buffer }[];
}

/** A STOW-RS endpoint that reads the multipart body with our own parser and answers what `answer` says. */
async function startStowServer(
  answer: (received: Received) => { status: number; body: string },
  headers: Record<string, string> = {},
) {
  const received: Received[] = [];
  const server = createServer(async (req, res) => {
    const entry: Received = { url: req.url ?? '', headers: req.headers, parts: [] };
    received.push(entry);
    for await (const part of parseMultipartRelated(req, req.headers['content-type'], {
      maxParts: 100,
      maxPartHeaderBytes: 4096,
    })) {
      const chunks: Buffer[] = [];
      for await (const chunk of part.body) chunks.push(chunk as Buffer);
      entry.parts.push({ contentType: part.contentType, body: Buffer.concat(chunks) });
    }
    const { status, body } = answer(entry);
    res.writeHead(status, { ...headers, 'Content-Type': 'application/dicom+json' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, received, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/dicomweb` };
}

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

describe('storeInstances', () => {
  let dir: string;
  let files: string[];
  let stow: Awaited<ReturnType<typeof startStowServer>>;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'store-instances-'));
    // Stand-ins for Part 10 files: the client sends bytes as they are, it does not parse them.
    files = ['a', 'b', 'c'].map((name, i) => {
      const file = join(dir, `${name}.dcm`);
      writeFileSync(file, Buffer.alloc(1000 + i * 333, i + 1));
      return file;
    });
  });

  afterEach(async () => {
    await close(stow.server);
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends every file as one application/dicom part of one request, byte for byte, to /studies/{uid}', async () => {
    stow = await startStowServer(() => ({
      status: 200,
      body: JSON.stringify(
        buildStowResponse({
          referenced: ['1.2.1', '1.2.2', '1.2.3'].map((uid) => ({
            sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
            sopInstanceUid: uid,
            retrieveUrl: `x/${uid}`,
          })),
          failed: [],
        }),
      ),
    }));
    const result = await storeInstances({
      baseUrl: `${stow.url}/`,
      files,
      studyInstanceUid: '1.2',
      bearerToken: 'tok',
    });

    expect(stow.received).toHaveLength(1);
    const [request] = stow.received;
    expect(request.url).toBe('/dicomweb/studies/1.2');
    expect(request.headers['content-type']).toMatch(/^multipart\/related; *type="?application\/dicom"?; *boundary=/);
    expect(request.headers.accept).toBe('application/dicom+json');
    expect(request.headers.authorization).toBe('Bearer tok');
    // Streamed: the length is not known up front, so the body goes chunked.
    expect(request.headers['transfer-encoding']).toBe('chunked');
    expect(request.parts.map((p) => p.contentType)).toEqual([
      'application/dicom',
      'application/dicom',
      'application/dicom',
    ]);
    expect(request.parts.map((p) => p.body.length)).toEqual([1000, 1333, 1666]);
    expect(request.parts[2].body.every((byte) => byte === 3)).toBe(true);
    expect(result).toMatchObject({ status: 200, storedSopInstanceUids: ['1.2.1', '1.2.2', '1.2.3'], failures: [] });
  });

  it('passes on the Warning header of a 202 answer', async () => {
    stow = await startStowServer(() => ({ status: 202, body: '{}' }), { Warning: '299 pacs: not searchable yet' });
    const result = await storeInstances({ baseUrl: stow.url, files });
    expect(result).toMatchObject({ status: 202, warning: '299 pacs: not searchable yet', failures: [] });
  });

  it('reports the failed instances of a 202 or 409 answer with their failure reasons', async () => {
    stow = await startStowServer(() => ({
      status: 409,
      body: JSON.stringify({
        [Tag.FailedSOPSequence]: {
          vr: 'SQ',
          Value: [
            {
              [Tag.ReferencedSOPInstanceUID]: { vr: 'UI', Value: ['1.2.9'] },
              [Tag.FailureReason]: { vr: 'US', Value: [0xc000] },
            },
          ],
        },
      }),
    }));
    const result = await storeInstances({ baseUrl: stow.url, files });
    expect(result.status).toBe(409);
    expect(result.storedSopInstanceUids).toEqual([]);
    expect(result.failures).toEqual([{ sopInstanceUid: '1.2.9', failureReason: 0xc000 }]);
  });

  it('throws a StowError with the status and body when the server refuses the request', async () => {
    stow = await startStowServer(() => ({ status: 415, body: 'no' }));
    const error = await storeInstances({ baseUrl: stow.url, files }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StowError);
    expect(error).toMatchObject({ status: 415, body: 'no' });
  });
});
