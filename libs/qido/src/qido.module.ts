import type { Feature } from '@pacs/runtime';
import { Module } from '@nestjs/common';
import { ExtendedQueryTagCatalog } from './extended-query-tag-catalog';
import { ExtendedQueryTagReindexer } from './extended-query-tag-reindexer';
import { ExtendedQueryTagsController } from './extended-query-tags.controller';
import { IndexOwner } from './index-owner';
import { InstanceDeletedConsumer } from './instance-deleted.consumer';
import { InstanceStoredConsumer } from './instance-stored.consumer';
import { PatientEventsConsumer } from './patient-events.consumer';
import { QidoController } from './qido.controller';
import { SearchService } from './search.service';

@Module({
  controllers: [QidoController, ExtendedQueryTagsController],
  providers: [
    SearchService,
    ExtendedQueryTagCatalog,
    ExtendedQueryTagReindexer,
    InstanceStoredConsumer,
    InstanceDeletedConsumer,
    PatientEventsConsumer,
    IndexOwner,
  ],
})
export class QidoModule {}

/**
 * QIDO-RS and the index owner: migrations; instance.stored → index → instance.indexed; instance.deleted,
 * patient.updated and patients.merged → index; extended query tags.
 */
export const QidoFeature: Feature = { module: QidoModule, requires: ['index', 'bus', 'blobs'] };
