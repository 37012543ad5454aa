import type { Feature } from '@pacs/runtime';
import { Module } from '@nestjs/common';
import { PriorsController } from './priors.controller';
import { PriorsPrefetcher } from './priors-prefetcher';
import { WorkitemsController } from './workitems.controller';
import { WorklistService } from './worklist.service';

@Module({
  controllers: [WorkitemsController, PriorsController],
  providers: [WorklistService, PriorsPrefetcher],
  exports: [WorklistService, PriorsPrefetcher],
})
export class WorklistModule {}

/**
 * The worklist: UPS-RS (PS3.18 §11) over its own table beside the index, the priors resource of a study,
 * and the prefetch of priors when a workitem is scheduled (through the deployment's DICOMweb API). Reads the
 * index, never writes it.
 */
export const WorklistFeature: Feature = { module: WorklistModule, requires: ['index', 'dicomweb'] };
