// The render service: rendered and thumbnail resources, thumbnails precomputed from instance.indexed.
import { RenderFeature } from '@pacs/render';
import { run } from '@pacs/runtime';

run({ name: 'render', features: [RenderFeature] });
