export { RenderModule, RenderFeature, renderFeatureWith } from './render.module';
export { RenderService, type RenderTarget, type RenderRequest, type RenderedResponse } from './render.service';
export { FrameRenderer, type ImageOptions, type RenderableInstance } from './frame-renderer';
export { thumbnailConsumerGroup } from './instance-indexed.consumer';
export { derivedCleanupConsumerGroup } from './instance-deleted.consumer';
export { derivedPrefixOf, thumbnailKeyOf, type InstanceUids } from './thumbnail-key';
export {
  negotiateRenderedResponse,
  RenderedImageType,
  renderedImageTypes,
  type RenderedResponseChoice,
  type RenderedResponseNegotiation,
} from './negotiate-rendered-response';
export {
  parseRenderedQuery,
  parseThumbnailQuery,
  parseViewport,
  parseWindow,
  type RenderedQuery,
} from './rendered-query';
export { defaultRenderSettings, RENDER_SETTINGS, type RenderSettings } from './render-settings';
