import type { Config } from '@pacs/config';
import { BusUnavailableError, type EventBus } from '@pacs/bus';
import {
  adtMerge,
  adtToPatientUpdate,
  type AckSpec,
  Hl7Error,
  Hl7ErrorCode,
  type Hl7Message,
  orderToProcedureStep,
  patientUpdateEvents,
} from '@pacs/hl7v2';
import { CONFIG, EVENT_BUS, InternalDicomweb, LOGGER, type Logger } from '@pacs/runtime';
import { Inject, Injectable } from '@nestjs/common';
import { applyOrder } from './apply-order';
import { Hl7Repository } from './hl7-repository';

import { hl7EventId, hl7Source, occurredAt, patientsMergedMessages, patientUpdatedMessage } from './patient-events';
import { UpsClient, UpsUnavailableError } from './ups-client';

/** The partition of what arrives over HL7 (one MLLP listener serves the default partition). */
const defaultPartition = 1;

/** HL7 table 0103 processing ids the listener accepts (MSH-11.1): production, debugging, training. */
const processingIds = new Set(['P', 'D', 'T']);
const mergeEvents = new Set(['A34', 'A35', 'A36', 'A39', 'A40']);

/** A dependency is down: AE with 207, so that the sender sends the message again later. */
const tryAgain = (what: string, cause: unknown): Hl7Error =>
  new Hl7Error(Hl7ErrorCode.ApplicationInternalError, `${what} is unavailable; send the message again later`, {
    cause,
  });

/**
 * What the MLLP listener does with each message it could parse (the MllpServer of @pacs/hl7v2 answers
 * the others AR):
 * - ADT A01/A04/A08/A31 (and the other events that carry a PID: A02, A03, A05, A06, A07, A28) → the
 *   patient record and its audit row, then `patient.updated` on the bus; A40 (and A34/A35/A36/A39) →
 *   `patients.merged`, one per PID/MRG pair. AA only once the bus accepted the events (publish resolved);
 *   bus or database down → AE 207 (the sender retries; the same MSH-10 is the same event id, so a resend
 *   changes nothing twice).
 * - ORM^O01, OMI^O23 → UPS workitems through UPS-RS (apply-order.ts); AA once the worklist answered.
 * - Anything else → AR 200 (message type) or 201 (event); MSH-11 other than P/D/T → AR 202.
 */
@Injectable()
export class Hl7InboundService {
  private readonly ups: UpsClient;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly repository: Hl7Repository,
    dicomweb: InternalDicomweb,
  ) {
    this.ups = new UpsClient(dicomweb);
  }

  async handle(message: Hl7Message): Promise<AckSpec> {
    const processingId = message.get('MSH-11-1');
    if (!processingIds.has(processingId)) {
      throw new Hl7Error(Hl7ErrorCode.UnsupportedProcessingId, `Processing ID "${processingId}" is not accepted`, {
        location: 'MSH-11',
      });
    }
    const { code, trigger } = message.messageType;
    if (code === 'ADT') {
      const event = trigger || message.get('EVN-1');
      if (mergeEvents.has(event)) return this.merge(message, event);
      if ((patientUpdateEvents as readonly string[]).includes(event)) return this.update(message);
      throw new Hl7Error(Hl7ErrorCode.UnsupportedEventCode, `ADT^${event} is not handled`, { location: 'MSH-9-2' });
    }
    if ((code === 'ORM' && trigger === 'O01') || (code === 'OMI' && trigger === 'O23')) return this.order(message);
    throw new Hl7Error(Hl7ErrorCode.UnsupportedMessageType, `${code}^${trigger} is not handled`, { location: 'MSH-9' });
  }

  private get issuerOption(): { issuer?: string } {
    return this.config.PACS_HL7_PRIMARY_ISSUER ? { issuer: this.config.PACS_HL7_PRIMARY_ISSUER } : {};
  }

  private async update(message: Hl7Message): Promise<AckSpec> {
    const update = adtToPatientUpdate(message, this.issuerOption);
    const eventId = hl7EventId(message);
    const source = hl7Source(message, update.event);
    const when = occurredAt(update.recordedAt, new Date());
    const key = { partitionId: defaultPartition, patientId: update.patientId, issuer: update.issuer };
    await this.durably('The patient record', () =>
      this.repository.store.recordPatientUpdate(key, {
        eventId,
        source,
        attributes: update.attributes,
        occurredAt: when,
      }),
    );
    await this.publish([
      patientUpdatedMessage(update, { partition: String(defaultPartition), eventId, source, occurredAt: when }),
    ]);
    await this.repository.store.markPublished(eventId).catch(() => undefined);
    this.logger.info({ event: source, eventId }, 'patient.updated published');
    return { code: 'AA' };
  }

  private async merge(message: Hl7Message, event: string): Promise<AckSpec> {
    const merge = adtMerge(message, this.issuerOption);
    const source = hl7Source(message, event);
    const when = occurredAt(message.get('EVN-2') || message.get('MSH-7'), new Date());
    const merges = patientsMergedMessages(merge, {
      partition: String(defaultPartition),
      eventIdOf: (part) => hl7EventId(message, part),
      source,
      occurredAt: when,
    });
    for (const m of merges) {
      await this.durably('The patient record', () =>
        this.repository.store.recordMerge({ partitionId: defaultPartition, ...m.surviving }, m.merged, {
          eventId: m.eventId,
          source,
          occurredAt: when,
        }),
      );
    }
    await this.publish(merges.map((m) => m.message));
    for (const m of merges) await this.repository.store.markPublished(m.eventId).catch(() => undefined);
    this.logger.info({ event: source, merges: merges.length }, 'patients.merged published');
    return { code: 'AA' };
  }

  private async order(message: Hl7Message): Promise<AckSpec> {
    const order = orderToProcedureStep(message, this.issuerOption);
    try {
      const outcomes = await applyOrder(this.ups, order, new Date());
      this.logger.info({ type: order.messageType, steps: outcomes.map((o) => o.result) }, 'order applied');
      return {
        code: 'AA',
        text: outcomes
          .map((o) => o.result)
          .join('; ')
          .slice(0, 80),
      };
    } catch (error) {
      if (error instanceof UpsUnavailableError) {
        this.logger.warn({ type: order.messageType, err: error.message }, 'order not applied: AE');
        throw tryAgain('The worklist', error);
      }
      throw error;
    }
  }

  private async publish(messages: Parameters<EventBus['publish']>[0]): Promise<void> {
    try {
      await this.bus.publish(messages);
    } catch (error) {
      this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'publishing failed: AE');
      throw tryAgain(error instanceof BusUnavailableError ? 'The event bus' : 'Publishing', error);
    }
  }

  private async durably<T>(what: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, `${what} could not be written`);
      throw tryAgain(what, error);
    }
  }
}
