export { WadoModule, WadoFeature } from './wado.module';
export { parseFrameList } from './wado.controller';
export { wadoDeletedConsumerGroup, wadoDerivedConsumerGroup } from './wado-events.consumer';
