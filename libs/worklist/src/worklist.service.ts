import type { Config } from '@pacs/config';
import { generateUid, type DicomJsonDataset } from '@pacs/dicom';
import { DicomwebError } from '@pacs/dicomweb';
import { type IndexDatabase } from '@pacs/index';
import { CONFIG, INDEX_DATABASE, LOGGER, type Logger } from '@pacs/runtime';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { planWorkitemSearch } from './plan-workitem-search';
import { PriorsPrefetcher } from './priors-prefetcher';
import { workitemColumns } from './workitem-columns';
import {
  changeWorkitemState,
  createWorkitem,
  publicDataset,
  readCancellationInfo,
  readStateChange,
  requestCancellation,
  updateWorkitem,
} from './workitem-rules';
import { WorkitemStore } from './workitem-store';

export interface WorkitemOutcome {
  readonly uid: string;
  readonly warning?: string;
}

/**
 * The Unified Procedure Step SCP behind UPS-RS (PS3.18 §11): each transaction reads and changes the store
 * through the rules of workitem-rules.ts. Creating a workitem also schedules the prefetch of the
 * patient's priors.
 */
@Injectable()
export class WorklistService implements OnModuleInit {
  readonly store: WorkitemStore;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(INDEX_DATABASE) db: IndexDatabase,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly prefetcher: PriorsPrefetcher,
  ) {
    this.store = new WorkitemStore(db.sql);
  }

  async onModuleInit(): Promise<void> {
    const applied = await this.store.migrate();
    if (applied.length > 0) this.logger.info({ migrations: applied }, 'worklist migrations applied');
  }

  /** Create Workitem (PS3.18 §11.4): 409 when the Workitem UID exists (Table 11.4.3-1). */
  async create(
    partitionId: number,
    workitemUid: string | undefined,
    dataset: DicomJsonDataset,
  ): Promise<WorkitemOutcome> {
    const now = new Date();
    const { uid, change } = createWorkitem({ workitemUid, dataset, now, newUid: generateUid });
    if (!(await this.store.insert(partitionId, uid, change, now))) {
      throw new DicomwebError('Conflict', 'The Target Workitem already exists');
    }
    const columns = workitemColumns(change.dataset);
    if (columns.patientId) {
      this.prefetcher.schedule({
        partitionId,
        patientId: columns.patientId,
        issuer: columns.issuer ?? '',
        ...(columns.studyUid ? { studyUid: columns.studyUid } : {}),
        ...(columns.modality ? { modalities: [columns.modality] } : {}),
      });
    }
    return { uid, ...(change.warning ? { warning: change.warning } : {}) };
  }

  /** Retrieve Workitem (PS3.18 §11.5): the data set without its Transaction UID. */
  async retrieve(partitionId: number, uid: string): Promise<DicomJsonDataset> {
    const stored = await this.store.get(partitionId, uid);
    if (!stored) throw new DicomwebError('NotFound', 'The Target Workitem was not found');
    return publicDataset(stored.dataset);
  }

  /** Update Workitem (PS3.18 §11.6). */
  async update(
    partitionId: number,
    uid: string,
    dataset: DicomJsonDataset,
    transactionUid: string | undefined,
  ): Promise<WorkitemOutcome> {
    const now = new Date();
    const { after } = await this.store.modify(
      partitionId,
      uid,
      (current) => updateWorkitem(current, { dataset, transactionUid, now }),
      now,
    );
    return { uid, ...(after.warning ? { warning: after.warning } : {}) };
  }

  /** Change Workitem State (PS3.18 §11.7). */
  async changeState(partitionId: number, uid: string, dataset: DicomJsonDataset): Promise<WorkitemOutcome> {
    const request = readStateChange(dataset);
    const now = new Date();
    const { after } = await this.store.modify(
      partitionId,
      uid,
      (current) => changeWorkitemState(current, { ...request, now }),
      now,
    );
    if (!after.unchanged) {
      this.logger.info({ state: after.state }, 'workitem state changed');
    }
    return { uid, ...(after.warning ? { warning: after.warning } : {}) };
  }

  /** Request Cancellation (PS3.18 §11.8). */
  async requestCancellation(partitionId: number, uid: string, dataset: DicomJsonDataset): Promise<WorkitemOutcome> {
    const info = readCancellationInfo(dataset);
    const now = new Date();
    const { after } = await this.store.modify(
      partitionId,
      uid,
      (current) => requestCancellation(current, info, now),
      now,
    );
    return { uid, ...(after.warning ? { warning: after.warning } : {}) };
  }

  /** Search Workitems (PS3.18 §11.9). */
  async search(
    partitionId: number,
    query: Readonly<Record<string, string | readonly string[] | undefined>>,
  ): Promise<{ datasets: DicomJsonDataset[]; more: boolean; warnings: string[]; nextOffset: number }> {
    const plan = planWorkitemSearch(partitionId, query, {
      defaultLimit: this.config.PACS_WORKLIST_DEFAULT_LIMIT,
      maxLimit: this.config.PACS_WORKLIST_MAX_LIMIT,
    });
    const result = await this.store.search(plan);
    const warnings: string[] = [];
    if (plan.limitClamped)
      warnings.push(`The limit was lowered to the maximum of ${this.config.PACS_WORKLIST_MAX_LIMIT}`);
    return {
      datasets: result.rows.map((row) => publicDataset(row.dataset)),
      more: result.more,
      warnings,
      nextOffset: plan.offset + plan.limit,
    };
  }
}
