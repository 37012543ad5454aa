import { ServiceTokenError } from '@pacs/auth';
import type { Config } from '@pacs/config';
import { dicomwebUrls } from '@pacs/dicomweb';
import { type IndexDatabase } from '@pacs/index';
import { CONFIG, INDEX_DATABASE, InternalDicomweb, LOGGER, type Logger } from '@pacs/runtime';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { findPriors, seriesOfStudy } from './find-priors';

export interface PrefetchRequest {
  readonly partitionId: number;
  readonly patientId: string;
  readonly issuer: string;
  /** The study the workitem is for (left out of its priors). */
  readonly studyUid?: string;
  /** Modalities of the scheduled procedure: priors of the same modality first. */
  readonly modalities?: readonly string[];
}

/** Longest wait for one warmed resource. */
const fetchTimeoutMs = 60_000;
/** Requests waiting to be warmed; beyond this new ones are dropped (prefetch is best effort). */
const maxQueued = 1000;

/**
 * Prefetch on order arrival: when a workitem is scheduled, the patient's newest prior studies (same
 * modality when there are such, else any) are read through this deployment's own DICOMweb URLs — study
 * metadata (WADO-RS, PS3.18 §10.4.1.1.2), the study thumbnail and each series' thumbnail (§10.4.1.1.5) —
 * so that whatever caches sit on that path (rendered-thumbnail store, metadata cache, a CDN, the gateway)
 * are warm when the radiologist opens the comparison. Best effort and in the background: one request at a
 * time, failures logged, nothing retried; the workitem's creation never waits for it. Under PACS_AUTH_MODE=jwt
 * the requests carry the service client's token (InternalDicomweb), so they pass the gateway like a viewer's.
 */
@Injectable()
export class PriorsPrefetcher implements OnApplicationShutdown {
  private readonly queue: PrefetchRequest[] = [];
  private running: Promise<void> | undefined;
  private closed = false;
  private readonly abort = new AbortController();

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(INDEX_DATABASE) private readonly db: IndexDatabase,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly dicomweb: InternalDicomweb,
  ) {}

  /** Queues a prefetch; returns at once. */
  schedule(request: PrefetchRequest): void {
    if (this.closed || this.config.PACS_PRIORS_PREFETCH_COUNT === 0 || !request.patientId) return;
    if (this.queue.length >= maxQueued) {
      this.logger.warn({ queued: this.queue.length }, 'priors prefetch queue full: request dropped');
      return;
    }
    this.queue.push(request);
    this.running ??= this.drain().finally(() => (this.running = undefined));
  }

  /** Resolves when every queued prefetch is done (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    this.abort.abort();
    await this.running?.catch(() => undefined);
  }

  private async drain(): Promise<void> {
    for (let next = this.queue.shift(); next && !this.closed; next = this.queue.shift()) {
      try {
        const warmed = await this.prefetch(next);
        this.logger.debug({ resources: warmed.length }, 'priors prefetched');
      } catch (error) {
        this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'priors prefetch failed');
      }
    }
  }

  /** Warms the priors of one request; returns the URLs it read. */
  async prefetch(request: PrefetchRequest): Promise<string[]> {
    const count = this.config.PACS_PRIORS_PREFETCH_COUNT;
    const base = { partitionId: request.partitionId, patientId: request.patientId, issuer: request.issuer };
    const exclude = request.studyUid ? { excludeStudyUid: request.studyUid } : {};
    let { studies } = await findPriors(this.db.sql, {
      ...base,
      ...exclude,
      modalities: request.modalities,
      limit: count,
      offset: 0,
    });
    if (studies.length === 0 && request.modalities && request.modalities.length > 0) {
      ({ studies } = await findPriors(this.db.sql, { ...base, ...exclude, limit: count, offset: 0 }));
    }
    const urls = dicomwebUrls(this.dicomweb.baseUrl);
    const warmed: string[] = [];
    for (const { studyUid } of studies) {
      const targets: [string, string][] = [
        [urls.metadata(studyUid), 'application/dicom+json'],
        [urls.thumbnail(studyUid), 'image/jpeg'],
      ];
      for (const series of await seriesOfStudy(this.db.sql, request.partitionId, studyUid)) {
        targets.push([urls.thumbnail(studyUid, series), 'image/jpeg']);
      }
      for (const [url, accept] of targets) {
        if (this.closed) return warmed;
        if (await this.read(url, accept)) warmed.push(url);
      }
    }
    return warmed;
  }

  /**
   * GETs a resource and reads its body to the end (a server stops producing what nobody reads). Without an
   * access token nothing can be read: that ends the prefetch (logged once, as its failure).
   */
  private async read(url: string, accept: string): Promise<boolean> {
    try {
      const response = await this.dicomweb.fetch(url, {
        headers: { accept, 'x-request-id': 'priors-prefetch' },
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(fetchTimeoutMs)]),
      });
      if (response.body) for await (const _chunk of response.body) void _chunk;
      return response.ok;
    } catch (error) {
      if (error instanceof ServiceTokenError) throw error;
      this.logger.debug(
        { err: error instanceof Error ? error.message : String(error) },
        'priors prefetch request failed',
      );
      return false;
    }
  }
}
