import type { Feature } from '@pacs/runtime';
import { Module } from '@nestjs/common';
import { InstanceStoredConsumer } from './instance-stored.consumer';
import { QidoController } from './qido.controller';
import { SearchService } from './search.service';

@Module({
  controllers: [QidoController],
  providers: [SearchService, InstanceStoredConsumer],
})
export class QidoModule {}

/** QIDO-RS and the index owner: migrations, instance.stored → index → instance.indexed. */
export const QidoFeature: Feature = { module: QidoModule, requires: ['index', 'bus', 'blobs'] };
