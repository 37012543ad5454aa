import { describeEventBusContract, eventually } from './event-bus.contract';
import { silentBusLogger } from './event-bus';
import { MemoryEventBus } from './memory-event-bus';
import { Topic } from './topics';

describeEventBusContract(
  'MemoryEventBus',
  ({ retry, logger, partitions }) => {
    const bus = new MemoryEventBus({ retry, logger, partitions: { [Topic.InstanceStored]: partitions } });
    return { bus: () => bus };
  },
  { deliveryTimeoutMs: 2_000 },
);

describe('MemoryEventBus', () => {
  it('runs no handler inside publish(), so a handler may publish and wait for its own answer', async () => {
    const bus = new MemoryEventBus({ logger: silentBusLogger });
    let inside = false;
    const answers: string[] = [];
    await bus.subscribe({
      topic: Topic.InstanceStored,
      group: 'index',
      handler: async (batch) => {
        expect(inside).toBe(false);
        await bus.publish(batch.map((m) => ({ topic: Topic.InstanceIndexed, key: m.key, value: m.value })));
      },
    });
    await bus.broadcast({
      topic: Topic.InstanceIndexed,
      handler: async (batch) => void answers.push(...batch.map((m) => m.key)),
    });
    inside = true;
    await bus.publish([{ topic: Topic.InstanceStored, key: '1.2.3', value: Uint8Array.of(1) }]);
    inside = false;
    await eventually('the answer', () => answers.length === 1, 1_000);
    expect(answers).toEqual(['1.2.3']);
    await bus.close();
  });

  it('keeps its own copy of a published value', async () => {
    const bus = new MemoryEventBus({ logger: silentBusLogger });
    const value = Uint8Array.of(1, 2, 3);
    await bus.publish([{ topic: Topic.InstanceStored, key: 'k', value }]);
    value[0] = 9;
    const seen: number[][] = [];
    await bus.subscribe({
      topic: Topic.InstanceStored,
      group: 'g',
      handler: async (b) => void seen.push([...b[0]!.value]),
    });
    await bus.idle();
    expect(seen).toEqual([[1, 2, 3]]);
    await bus.close();
  });

  it('drops what every known group has committed, and keeps at most maxRetained for groups yet to come', async () => {
    const bus = new MemoryEventBus({ logger: silentBusLogger, maxRetained: 5 });
    await bus.publish(
      Array.from({ length: 8 }, (_, i) => ({ topic: Topic.InstanceDeleted, key: 'k', value: Uint8Array.of(i) })),
    );
    const late: number[] = [];
    await bus.subscribe({
      topic: Topic.InstanceDeleted,
      group: 'late',
      handler: async (b) => void late.push(...b.map((m) => m.value[0]!)),
    });
    await bus.idle();
    // The oldest three were dropped before any group existed.
    expect(late).toEqual([3, 4, 5, 6, 7]);
    await bus.close();
  });

  it('idle() waits for retries to finish', async () => {
    const bus = new MemoryEventBus({
      logger: silentBusLogger,
      retry: { attempts: 3, initialBackoffMs: 20, maxBackoffMs: 20 },
    });
    let calls = 0;
    await bus.subscribe({
      topic: Topic.PatientsMerged,
      group: 'g',
      handler: async () => {
        if (++calls < 3) throw new Error('not yet');
      },
    });
    await bus.publish([{ topic: Topic.PatientsMerged, key: 'k', value: Uint8Array.of(1) }]);
    await bus.idle();
    expect(calls).toBe(3);
    await bus.close();
  });
});
