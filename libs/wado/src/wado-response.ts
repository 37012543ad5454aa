import type { CoercionFacts } from '@pacs/auth';
import type { Readable } from 'node:stream';

/** What a WADO-RS handler answers; the controller writes it. */
export interface WadoResponse {
  /** 200 unless said otherwise (206, 304). */
  status?: number;
  /** Absent for 304. */
  contentType?: string;
  /** Content-Length (when known), ETag, Cache-Control, Content-Encoding, Content-Range, Vary … */
  headers: Record<string, string>;
  /** Absent for 304. */
  body?: Buffer | Readable;
  /** Stored values the body replaces (the current patient record applied): the access's audit record names them. */
  coercion?: CoercionFacts;
}

/** 304 (Not Modified) for a request whose If-None-Match matched: the validators, no content (RFC 9110 §15.4.5). */
export const notModified = (headers: Record<string, string>): WadoResponse => ({ status: 304, headers });
