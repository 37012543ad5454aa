import type { Feature } from '@pacs/runtime';
import { Module } from '@nestjs/common';
import { IndexedWaiter } from './indexed-waiter';
import { InstanceStoredPublisher } from './instance-stored.publisher';
import { StoreInstancesService } from './store-instances.service';
import { StowController } from './stow.controller';

@Module({
  controllers: [StowController],
  providers: [StoreInstancesService, InstanceStoredPublisher, IndexedWaiter],
})
export class StowModule {}

/** STOW-RS: writes originals to object storage and announces them on the bus. */
export const StowFeature: Feature = { module: StowModule, requires: ['blobs', 'bus'] };
