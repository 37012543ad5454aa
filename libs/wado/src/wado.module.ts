import type { Feature } from '@pacs/runtime';
import { Module } from '@nestjs/common';
import { RetrieveService } from './retrieve.service';
import { WadoController } from './wado.controller';

@Module({
  controllers: [WadoController],
  providers: [RetrieveService],
})
export class WadoModule {}

/** WADO-RS: instances, metadata, frames and bulk data from the index and object storage. */
export const WadoFeature: Feature = { module: WadoModule, requires: ['index', 'blobs'] };
