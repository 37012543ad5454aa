export { WadoModule, WadoFeature } from './wado.module';
export { wadoDeletedConsumerGroup, wadoDerivedConsumerGroup } from './wado-events.consumer';
