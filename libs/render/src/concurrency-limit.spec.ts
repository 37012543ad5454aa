import { DicomwebError } from '@pacs/dicomweb';
import { ConcurrencyLimit } from './concurrency-limit';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('ConcurrencyLimit', () => {
  it('runs at most `concurrency` tasks at once, the others in arrival order', async () => {
    const limit = new ConcurrencyLimit(2, 100);
    let running = 0;
    let busiest = 0;
    const order: number[] = [];
    const releases: (() => void)[] = [];
    const tasks = Array.from({ length: 6 }, (_, i) =>
      limit.run(async () => {
        running++;
        busiest = Math.max(busiest, running);
        order.push(i);
        await new Promise<void>((resolve) => releases.push(resolve));
        running--;
        return i;
      }),
    );
    while (order.length < 6) {
      await tick();
      expect(limit.active).toBeLessThanOrEqual(2);
      releases.shift()?.();
    }
    releases.forEach((release) => release());
    expect(await Promise.all(tasks)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(busiest).toBe(2);
    expect([limit.active, limit.queued]).toEqual([0, 0]);
  });

  it('frees the slot of a task that fails', async () => {
    const limit = new ConcurrencyLimit(1, 10);
    await expect(limit.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limit.run(() => Promise.resolve('ok'))).resolves.toBe('ok');
    expect(limit.active).toBe(0);
  });

  it('answers 503 with Retry-After when the queue is full', async () => {
    const limit = new ConcurrencyLimit(1, 1);
    let release!: () => void;
    const first = limit.run(() => new Promise<void>((resolve) => (release = resolve)));
    const second = limit.run(() => Promise.resolve());
    const third = limit.run(() => Promise.resolve());
    await expect(third).rejects.toMatchObject({ code: 'Unavailable', retryAfterSeconds: 1 });
    await expect(third).rejects.toBeInstanceOf(DicomwebError);
    release();
    await Promise.all([first, second]);
  });
});
