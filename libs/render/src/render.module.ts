import type { Feature } from '@pacs/runtime';
import { Module, type ModuleMetadata } from '@nestjs/common';
import { FrameRenderer } from './frame-renderer';
import { InstanceDeletedConsumer } from './instance-deleted.consumer';
import { InstanceIndexedConsumer } from './instance-indexed.consumer';
import { RenderController } from './render.controller';
import { defaultRenderSettings, RENDER_SETTINGS, type RenderSettings } from './render-settings';
import { RenderService } from './render.service';

const metadataWith = (settings: RenderSettings): ModuleMetadata => ({
  controllers: [RenderController],
  providers: [
    { provide: RENDER_SETTINGS, useValue: settings },
    FrameRenderer,
    RenderService,
    InstanceIndexedConsumer,
    InstanceDeletedConsumer,
  ],
});

@Module(metadataWith(defaultRenderSettings))
export class RenderModule {}

const requires: Feature['requires'] = ['index', 'blobs', 'bus'];

/**
 * Rendered and thumbnail resources (PS3.18 §10.4.1.1.2, §10.4.1.1.5); thumbnails precomputed from instance.indexed,
 * removed on instance.deleted.
 */
export const RenderFeature: Feature = { module: RenderModule, requires };

/** The render feature with some settings changed (benchmarks, tests; a host with its own sizing). */
export function renderFeatureWith(settings: Partial<RenderSettings>): Feature {
  @Module(metadataWith({ ...defaultRenderSettings, ...settings }))
  class ConfiguredRenderModule {}
  return { module: ConfiguredRenderModule, requires };
}
