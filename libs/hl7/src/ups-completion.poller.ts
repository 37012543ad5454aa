import type { Config } from '@pacs/config';
import { Tag, type DicomJsonDataset } from '@pacs/dicom';
import { CONFIG, InternalDicomweb, LOGGER, type Logger } from '@pacs/runtime';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Hl7Repository } from './hl7-repository';

import { ReportDistributor } from './report-distributor';
import { reportSopClasses } from './report-of-dataset';
import { UpsClient } from './ups-client';

const cursorName = 'ups-completed';
/** Workitems read per search page. */
const pageSize = 100;

const items = (ds: DicomJsonDataset | undefined, tag: string): DicomJsonDataset[] =>
  (ds?.[tag]?.Value ?? []).filter((v): v is DicomJsonDataset => typeof v === 'object' && v !== null);
const first = (ds: DicomJsonDataset | undefined, tag: string): string => {
  const v = ds?.[tag]?.Value?.[0];
  return typeof v === 'string' ? v : '';
};

/**
 * The report references of a completed workitem: the SR or encapsulated documents its Output Information
 * Sequence lists (PS3.4 Table CC.2.5-3, at the top level or in the Unified Procedure Step Performed
 * Procedure Sequence), each item a study/series with a Referenced SOP Sequence.
 */
export function reportReferencesOf(workitem: DicomJsonDataset): { sopUid: string; sopClassUid: string }[] {
  const outputs = [
    ...items(workitem, Tag.OutputInformationSequence),
    ...items(workitem, Tag.UnifiedProcedureStepPerformedProcedureSequence).flatMap((p) =>
      items(p, Tag.OutputInformationSequence),
    ),
  ];
  return outputs
    .flatMap((o) => items(o, Tag.ReferencedSOPSequence))
    .map((r) => ({ sopUid: first(r, Tag.ReferencedSOPInstanceUID), sopClassUid: first(r, Tag.ReferencedSOPClassUID) }))
    .filter((r) => r.sopUid !== '' && reportSopClasses.has(r.sopClassUid));
}

/**
 * "A UPS completed with a report reference": every PACS_HL7_UPS_POLL_MS the feature searches the worklist
 * (UPS-RS Search, PS3.18 §11.9 — the worklist offers no event subscriptions) for workitems COMPLETED
 * since the last modification time it saw (kept in its own table, so a restart goes on where it stopped),
 * and distributes the reports they reference that the index holds. A referenced report the index does not
 * hold (yet) is distributed when it is indexed; the outbox key makes it once either way.
 */
@Injectable()
export class UpsCompletionPoller implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly ups: UpsClient;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly repository: Hl7Repository,
    private readonly distributor: ReportDistributor,
    dicomweb: InternalDicomweb,
  ) {
    this.ups = new UpsClient(dicomweb);
  }

  onApplicationBootstrap(): void {
    if (this.config.PACS_HL7_UPS_POLL_MS === 0 || !this.distributor.enabled) return;
    this.timer = setInterval(() => void this.poll(), this.config.PACS_HL7_UPS_POLL_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One poll (also called by tests); a poll already running is not started twice. */
  poll(): Promise<void> {
    this.running ??= this.pollOnce()
      .catch((error: unknown) =>
        this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'UPS completion poll failed'),
      )
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async pollOnce(): Promise<void> {
    const store = this.repository.store;
    let since = await store.cursor(cursorName);
    if (since === undefined) {
      // First start: what completed before this feature existed is not reported.
      since = new Date()
        .toISOString()
        .replace(/[-:T]/g, '')
        .replace(/\.(\d{3})Z$/, '.$1000');
      await store.setCursor(cursorName, since);
    }
    let latest = since;
    for (let offset = 0; !this.stopped; offset += pageSize) {
      const { datasets, more } = await this.ups.search({
        ProcedureStepState: 'COMPLETED',
        ScheduledProcedureStepModificationDateTime: `${since}-`,
        limit: String(pageSize),
        offset: String(offset),
      });
      for (const workitem of datasets) {
        const modified = first(workitem, Tag.ScheduledProcedureStepModificationDateTime).replace(/[+-]\d{4}$/, '');
        if (modified > latest) latest = modified;
        const refs = reportReferencesOf(workitem);
        if (refs.length === 0) continue;
        // Partition 1: UPS-RS of the default partition (the worklist serves one).
        const reports = await this.distributor.findReports(
          this.repository.db.sql,
          1,
          refs.map((r) => r.sopUid),
        );
        if (reports.length > 0) await this.distributor.distribute(reports);
      }
      if (!more) break;
    }
    // The search is inclusive of `since`: the newest workitem is seen again next time (the outbox key
    // makes that harmless) and none modified in the same instant is missed.
    if (latest > since) await store.setCursor(cursorName, latest);
  }
}
