export { WadoModule, WadoFeature } from './wado.module';
export { parseFrameList } from './wado.controller';
