import { type ReceivedMessage } from './event-bus';
import { Topic } from './topics';

/**
 * Headers a dead-lettered message carries besides its own. The key and value are those of the original, so the
 * message can be re-published to its topic once the cause is fixed.
 */
export const DeadLetterHeader = {
  /** The logical topic it came from, e.g. `instance.stored`. */
  Topic: 'pacs-dead-letter-topic',
  Partition: 'pacs-dead-letter-partition',
  Offset: 'pacs-dead-letter-offset',
  /** The consumer group whose handler failed. */
  Group: 'pacs-dead-letter-group',
  /** `<error name>: <message>`, at most 2000 characters. */
  Error: 'pacs-dead-letter-error',
  /** Handler calls that included the message. */
  Attempts: 'pacs-dead-letter-attempts',
  /** When it was dead-lettered, ISO 8601. */
  At: 'pacs-dead-letter-at',
} as const;

export const describeError = (error: unknown): string =>
  (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 2000);

export function deadLetterOf(message: ReceivedMessage, group: string, error: unknown, attempts: number) {
  return {
    topic: Topic.DeadLetter,
    key: message.key,
    value: message.value,
    headers: {
      ...message.headers,
      [DeadLetterHeader.Topic]: message.topic,
      [DeadLetterHeader.Partition]: String(message.partition),
      [DeadLetterHeader.Offset]: message.offset,
      [DeadLetterHeader.Group]: group,
      [DeadLetterHeader.Error]: describeError(error),
      [DeadLetterHeader.Attempts]: String(attempts),
      [DeadLetterHeader.At]: new Date().toISOString(),
    },
  };
}
