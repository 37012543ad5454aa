import { EVENT_BUS } from '@pacs/runtime';
import { Topic, type EventBus, type Subscription } from '@pacs/bus';
import { decodeInstanceIndexed, IndexOutcome } from '@pacs/contracts';
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';

export interface IndexedOutcome {
  outcome: 'indexed' | 'already-indexed' | 'conflict' | 'failed';
  reason: string;
}

const outcomeNames: Record<number, IndexedOutcome['outcome']> = {
  [IndexOutcome.INDEXED]: 'indexed',
  [IndexOutcome.ALREADY_INDEXED]: 'already-indexed',
  [IndexOutcome.CONFLICT]: 'conflict',
  [IndexOutcome.FAILED]: 'failed',
};

/**
 * Learns from instance.indexed when the instances this process stored are searchable. Every STOW replica
 * hears every instance.indexed (a broadcast subscription) and keeps only the ingest ids it waits for.
 */
@Injectable()
export class IndexedWaiter implements OnModuleInit, OnApplicationShutdown {
  private readonly waiting = new Map<string, (outcome: IndexedOutcome | undefined) => void>();
  private subscription?: Subscription;

  constructor(@Inject(EVENT_BUS) private readonly bus: EventBus) {}

  async onModuleInit(): Promise<void> {
    this.subscription = await this.bus.broadcast({
      topic: Topic.InstanceIndexed,
      handler: async (batch) => {
        for (const message of batch) {
          const event = decodeInstanceIndexed(message.value);
          const resolve = this.waiting.get(event.ingestId);
          if (!resolve) continue;
          this.waiting.delete(event.ingestId);
          resolve({ outcome: outcomeNames[event.outcome] ?? 'failed', reason: event.reason });
        }
      },
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.close();
    for (const resolve of this.waiting.values()) resolve(undefined);
    this.waiting.clear();
  }

  /** Resolves with the index's outcome, or with undefined when timeoutMs passes first. Register before publishing. */
  wait(ingestId: string, timeoutMs: number): { promise: Promise<IndexedOutcome | undefined>; cancel: () => void } {
    let timer: NodeJS.Timeout | undefined;
    const promise = new Promise<IndexedOutcome | undefined>((resolve) => {
      timer = setTimeout(() => {
        this.waiting.delete(ingestId);
        resolve(undefined);
      }, timeoutMs);
      this.waiting.set(ingestId, (outcome) => {
        clearTimeout(timer);
        resolve(outcome);
      });
    });
    return {
      promise,
      cancel: () => {
        clearTimeout(timer);
        this.waiting.delete(ingestId);
      },
    };
  }
}
