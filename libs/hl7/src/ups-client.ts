import { ServiceTokenError } from '@pacs/auth';
import { Tag, type DicomJsonDataset } from '@pacs/dicom';
import type { InternalDicomweb } from '@pacs/runtime';

/** A UPS-RS answer: the status, the Warning text if any, and the payload when there is one. */
export interface UpsResponse {
  readonly status: number;
  readonly warning: string;
  readonly body?: unknown;
}

/** The worklist could not be reached, or failed (5xx): the request may succeed later. */
export class UpsUnavailableError extends Error {
  override readonly name = 'UpsUnavailableError';
  readonly retryable = true;
}

const json = 'application/dicom+json';
const timeoutMs = 15_000;

/**
 * A UPS-RS user agent (PS3.18 §11): how the hl7 feature creates and follows workitems. The worklist is another
 * feature (and in cluster mode another service), reached through this deployment's DICOMweb root with the
 * service client's token (InternalDicomweb). 4xx answers are returned (the caller decides what they mean for
 * the HL7 message); network failures, 5xx and a token that cannot be had throw UpsUnavailableError.
 */
export class UpsClient {
  constructor(private readonly api: Pick<InternalDicomweb, 'baseUrl' | 'fetch'>) {}

  private async call(method: string, path: string, body?: unknown, accept = false): Promise<UpsResponse> {
    let response: Response;
    try {
      response = await this.api.fetch(`${this.api.baseUrl}/workitems${path}`, {
        method,
        headers: {
          ...(accept ? { accept: json } : {}),
          ...(body === undefined ? {} : { 'content-type': json }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (cause) {
      const why = cause instanceof ServiceTokenError ? `: ${cause.message}` : '';
      throw new UpsUnavailableError(`The worklist at ${this.api.baseUrl} cannot be reached${why}`, { cause });
    }
    const text = await response.text().catch(() => '');
    if (response.status >= 500) {
      throw new UpsUnavailableError(`The worklist answered ${response.status}`);
    }
    const warning = (response.headers.get('warning') ?? '').replace(/^299 [^:]*: /, '');
    let parsed: unknown;
    if (text && /json/.test(response.headers.get('content-type') ?? '')) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    return { status: response.status, warning, ...(parsed === undefined ? {} : { body: parsed }) };
  }

  /** Create Workitem (§11.4): 201, or 409 when it exists. */
  create(uid: string, dataset: DicomJsonDataset): Promise<UpsResponse> {
    return this.call('POST', `?${encodeURIComponent(uid)}`, [dataset]);
  }

  /** Retrieve Workitem (§11.5): the data set, or undefined (404). */
  async retrieve(uid: string): Promise<DicomJsonDataset | undefined> {
    const r = await this.call('GET', `/${encodeURIComponent(uid)}`, undefined, true);
    if (r.status === 404) return undefined;
    if (r.status !== 200 || !Array.isArray(r.body))
      throw new UpsUnavailableError(`Retrieve Workitem answered ${r.status}`);
    return r.body[0] as DicomJsonDataset;
  }

  /** Update Workitem (§11.6). */
  update(uid: string, dataset: DicomJsonDataset, transactionUid?: string): Promise<UpsResponse> {
    const query = transactionUid ? `?${encodeURIComponent(transactionUid)}` : '';
    return this.call('POST', `/${encodeURIComponent(uid)}${query}`, [dataset]);
  }

  /** Change Workitem State (§11.7). */
  changeState(uid: string, state: string, transactionUid: string): Promise<UpsResponse> {
    return this.call('PUT', `/${encodeURIComponent(uid)}/state`, [
      {
        [Tag.ProcedureStepState]: { vr: 'CS', Value: [state] },
        [Tag.TransactionUID]: { vr: 'UI', Value: [transactionUid] },
      },
    ]);
  }

  /** Request Cancellation (§11.8). */
  requestCancellation(uid: string, info: DicomJsonDataset): Promise<UpsResponse> {
    return this.call('POST', `/${encodeURIComponent(uid)}/cancelrequest`, [info]);
  }

  /** Search Workitems (§11.9): the data sets (none for 204) and whether more exist (206). */
  async search(query: Record<string, string>): Promise<{ datasets: DicomJsonDataset[]; more: boolean }> {
    const r = await this.call('GET', `?${new URLSearchParams(query).toString()}`, undefined, true);
    if (r.status === 204) return { datasets: [], more: false };
    if ((r.status !== 200 && r.status !== 206) || !Array.isArray(r.body)) {
      throw new UpsUnavailableError(`Search Workitems answered ${r.status}: ${r.warning}`);
    }
    return { datasets: r.body as DicomJsonDataset[], more: r.status === 206 };
  }
}
