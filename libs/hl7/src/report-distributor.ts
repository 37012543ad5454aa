import type { Config } from '@pacs/config';
import { Tag, type DicomJsonDataset } from '@pacs/dicom';
import { dicomwebUrls } from '@pacs/dicomweb';
import { search, type Sql } from '@pacs/index';
import { CONFIG, internalDicomwebUrl, LOGGER, type Logger } from '@pacs/runtime';
import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Hl7Repository } from './hl7-repository';
import { OutboxChannel, type OutboxEntry } from './hl7-store';

import { OutboxWorker } from './outbox-worker';
import { oruOfReport, reportFacts, reportSopClasses, webhookBodyOfReport } from './report-of-dataset';

/** A report instance as the index has it. */
export interface ReportInstance {
  readonly partitionId: number;
  readonly sopClassUid: string;
  readonly dataset: DicomJsonDataset;
}

/** MSH-10 is an ST of at most 20 characters (v2.5 §2.14.9.10): the outbox key's hash, stable across retries. */
const controlIdOf = (key: string): string =>
  `R${BigInt(`0x${createHash('sha256').update(key).digest('hex').slice(0, 24)}`)
    .toString(36)
    .toUpperCase()}`.slice(0, 20);

/**
 * Report distribution: for each report (SR or encapsulated document) that arrives, one ORU^R01 for the
 * configured RIS/EHR (PACS_HL7_OUTBOUND_HOST) and one notification per webhook (PACS_REPORT_WEBHOOK_URLS),
 * queued in the outbox — once per report and destination, whichever way the report was learned of (its
 * instance indexed, or a UPS completed with a reference to it).
 */
@Injectable()
export class ReportDistributor {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly repository: Hl7Repository,
    private readonly worker: OutboxWorker,
  ) {}

  /** Whether anything is configured to receive reports. */
  get enabled(): boolean {
    return this.config.PACS_HL7_OUTBOUND_HOST !== '' || this.config.PACS_REPORT_WEBHOOK_URLS.length > 0;
  }

  /**
   * The reports among these instances of one partition, read from the index (read only, @pacs/index's
   * search at the instance level with the instance's whole data set).
   */
  async findReports(sql: Sql, partitionId: number, sopUids: readonly string[]): Promise<ReportInstance[]> {
    if (sopUids.length === 0) return [];
    const result = await search(sql, {
      level: 'instance',
      partitionId,
      conditions: [
        { kind: 'uidList', tag: Tag.SOPInstanceUID, values: [...sopUids] },
        { kind: 'uidList', tag: Tag.SOPClassUID, values: [...reportSopClasses.keys()] },
      ],
      fuzzy: false,
      limit: sopUids.length,
      offset: 0,
      withInstanceDataset: true,
    });
    return result.rows.map((row) => ({
      partitionId,
      sopClassUid: String(row.dataset[Tag.SOPClassUID]?.Value?.[0] ?? ''),
      dataset: row.dataset,
    }));
  }

  /** The outbox entries of a report. */
  entriesOf(report: ReportInstance, now = new Date()): OutboxEntry[] {
    const kind = reportSopClasses.get(report.sopClassUid);
    if (!kind) return [];
    const facts = reportFacts(report.dataset, kind);
    const internal = dicomwebUrls(internalDicomwebUrl(this.config));
    const publicUrls = dicomwebUrls(this.config.PACS_PUBLIC_BASE_URL || internal.base);
    const studyUrl = publicUrls.study(facts.studyUid);
    const reportUrl = publicUrls.instance(facts.studyUid, facts.seriesUid, facts.sopUid);
    const template = this.config.PACS_REPORT_STUDY_LINK_TEMPLATE;
    const studyLink = template
      ? template.replaceAll('{StudyInstanceUID}', encodeURIComponent(facts.studyUid))
      : studyUrl;
    const entries: OutboxEntry[] = [];
    if (this.config.PACS_HL7_OUTBOUND_HOST) {
      const destination = `${this.config.PACS_HL7_OUTBOUND_HOST}:${this.config.PACS_HL7_OUTBOUND_PORT}`;
      const key = `oru|${destination}|${facts.sopUid}`;
      entries.push({
        key,
        channel: OutboxChannel.Mllp,
        destination,
        payload: oruOfReport(facts, {
          sendingApplication: this.config.PACS_HL7_SENDING_APPLICATION,
          sendingFacility: this.config.PACS_HL7_SENDING_FACILITY,
          receivingApplication: this.config.PACS_HL7_OUTBOUND_APPLICATION,
          receivingFacility: this.config.PACS_HL7_OUTBOUND_FACILITY,
          controlId: controlIdOf(key),
          reportUrl,
          studyLink,
          now,
        }),
      });
    }
    for (const url of this.config.PACS_REPORT_WEBHOOK_URLS) {
      const key = `webhook|${url}|${facts.sopUid}`;
      entries.push({
        key,
        channel: OutboxChannel.Webhook,
        destination: url,
        payload: webhookBodyOfReport(facts, { eventId: controlIdOf(key), studyLink, studyUrl, reportUrl, now }),
      });
    }
    return entries;
  }

  /** Queues the entries of these reports and wakes the worker; returns how many entries were new. */
  async distribute(reports: readonly ReportInstance[]): Promise<number> {
    const entries = reports.flatMap((r) => this.entriesOf(r));
    if (entries.length === 0) return 0;
    const added = await this.repository.store.enqueue(entries);
    if (added > 0) {
      this.logger.info({ reports: reports.length, queued: added }, 'reports queued for distribution');
      this.worker.wake();
    }
    return added;
  }
}
