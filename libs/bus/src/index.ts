// @pacs/bus: events between features, over Kafka (services) or in process (embedded). Values are the encoded
// events of @pacs/contracts; topics and partition counts are in topics.ts.
export { BusPublishError, BusUnavailableError } from './bus-errors';
export { DeadLetterHeader } from './dead-letter';
export {
  type BatchHandler,
  type BroadcastOptions,
  type BusLogger,
  type BusMessage,
  type EventBus,
  type ReceivedMessage,
  type RetryPolicy,
  type SubscribeOptions,
  type Subscription,
  consoleBusLogger,
  defaultRetryPolicy,
  silentBusLogger,
} from './event-bus';
export { KafkaEventBus, type KafkaEventBusOptions } from './kafka-event-bus';
export { MemoryEventBus, type MemoryEventBusOptions } from './memory-event-bus';
export { Topic, topicName, topicPartitions, topics } from './topics';
