import type { Feature } from '@pacs/runtime';
import { Module } from '@nestjs/common';
import { BulkdataService } from './bulkdata.service';
import { FramesService } from './frames.service';
import { InstanceCatalog } from './instance-catalog';
import { MetadataService } from './metadata.service';
import { RetrieveService } from './retrieve.service';
import { StoredBytes } from './stored-bytes';
import { WadoEventsConsumer } from './wado-events.consumer';
import { WadoController } from './wado.controller';

@Module({
  controllers: [WadoController],
  providers: [
    InstanceCatalog,
    StoredBytes,
    MetadataService,
    FramesService,
    BulkdataService,
    RetrieveService,
    WadoEventsConsumer,
  ],
})
export class WadoModule {}

/**
 * WADO-RS: instances, metadata, frames and bulk data from the index and object storage; keeps its derived
 * objects (series metadata documents, inflated copies, transcoded instances) from instance.indexed / .deleted.
 */
export const WadoFeature: Feature = { module: WadoModule, requires: ['index', 'blobs', 'bus'] };
