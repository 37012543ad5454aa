import type { Config } from '@pacs/config';
import { MllpClient } from '@pacs/hl7v2';
import { CONFIG, LOGGER, type Logger } from '@pacs/runtime';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Hl7Repository } from './hl7-repository';
import { OutboxChannel, type ClaimedEntry } from './hl7-store';

/** Entries taken per round. */
const batchSize = 20;
/** Longest wait for a webhook's answer. */
const webhookTimeoutMs = 15_000;

/**
 * Delivers the outbox: takes the entries that are due (with a lease, so that replicas never send the same
 * one at once), sends each — ORU^R01 over MLLP (accepted when the ACK is AA or CA), webhooks as an HTTP
 * POST (accepted on 2xx) — and marks it delivered, or schedules its next attempt with exponential backoff
 * (PACS_OUTBOX_INITIAL_BACKOFF_MS doubling up to PACS_OUTBOX_MAX_BACKOFF_MS). An entry is never dropped:
 * a destination that is down for hours gets every report once it is back. Runs every PACS_OUTBOX_POLL_MS
 * and at once when woken (a new entry).
 */
@Injectable()
export class OutboxWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly clients = new Map<string, MllpClient>();

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly repository: Hl7Repository,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.wake(), this.config.PACS_OUTBOX_POLL_MS);
    this.timer.unref();
    this.wake();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
    await Promise.all([...this.clients.values()].map((c) => c.close()));
    this.clients.clear();
  }

  /** Runs a delivery round now (or right after the one running). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.rounds().finally(() => (this.running = undefined));
  }

  /** Resolves when the running round (if any) is over: tests. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async rounds(): Promise<void> {
    do {
      this.again = false;
      let claimed: ClaimedEntry[];
      try {
        claimed = await this.repository.store.claim(batchSize, this.config.PACS_HL7_ACK_TIMEOUT_MS + 30_000);
      } catch (error) {
        this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'outbox cannot be read');
        return;
      }
      for (const entry of claimed) {
        if (this.stopped) return;
        await this.deliverOne(entry);
      }
      if (claimed.length === batchSize) this.again = true;
    } while (this.again && !this.stopped);
  }

  private async deliverOne(entry: ClaimedEntry): Promise<void> {
    let error: string | undefined;
    try {
      error = entry.channel === OutboxChannel.Mllp ? await this.sendMllp(entry) : await this.sendWebhook(entry);
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    try {
      if (error === undefined) {
        await this.repository.store.delivered(entry.pk);
        this.logger.info({ channel: entry.channel, attempts: entry.attempts + 1 }, 'outbox entry delivered');
      } else {
        const delay = Math.min(
          this.config.PACS_OUTBOX_MAX_BACKOFF_MS,
          this.config.PACS_OUTBOX_INITIAL_BACKOFF_MS * 2 ** Math.min(entry.attempts, 30),
        );
        await this.repository.store.failed(entry.pk, error, delay);
        this.logger.warn(
          { channel: entry.channel, attempts: entry.attempts + 1, retryInMs: delay, err: error },
          'outbox delivery failed; will retry',
        );
      }
    } catch (e) {
      // The lease runs out and the entry is taken again: delivered twice at worst (same MSH-10 / event id).
      this.logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'outbox state cannot be written');
    }
  }

  /** Sends an ORU; undefined when the receiver accepted it, else why not. */
  private async sendMllp(entry: ClaimedEntry): Promise<string | undefined> {
    const result = await this.client(entry.destination).send(entry.payload);
    // Original mode AA, enhanced mode CA: accepted. AE/AR: refused this time; the outbox tries again.
    if (result.code === 'AA' || result.code === 'CA') return undefined;
    return `${result.code}${result.text ? `: ${result.text}` : ''}`;
  }

  private client(destination: string): MllpClient {
    let client = this.clients.get(destination);
    if (!client) {
      const at = destination.lastIndexOf(':');
      client = new MllpClient({
        host: destination.slice(0, at),
        port: Number(destination.slice(at + 1)),
        // One try per round: the outbox owns the retry schedule, so it survives restarts.
        maxAttempts: 1,
        connectTimeoutMs: 5_000,
        ackTimeoutMs: this.config.PACS_HL7_ACK_TIMEOUT_MS,
      });
      this.clients.set(destination, client);
    }
    return client;
  }

  private async sendWebhook(entry: ClaimedEntry): Promise<string | undefined> {
    const response = await fetch(entry.destination, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'pacs-hl7' },
      body: entry.payload,
      signal: AbortSignal.timeout(webhookTimeoutMs),
    });
    await response.arrayBuffer().catch(() => undefined);
    return response.ok ? undefined : `HTTP ${response.status}`;
  }
}
