export { QidoModule, QidoFeature } from './qido.module';
export { indexConsumerGroup } from './instance-stored.consumer';
