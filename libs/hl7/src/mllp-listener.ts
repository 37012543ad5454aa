import type { Config } from '@pacs/config';
import { MllpServer, type MllpServerEvent } from '@pacs/hl7v2';
import { CONFIG, HEALTH, HealthRegistry, LOGGER, type Logger } from '@pacs/runtime';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { Hl7InboundService } from './hl7-inbound.service';

/**
 * The MLLP listener (PACS_HL7_MLLP_HOST:PACS_HL7_MLLP_PORT) the RIS/EHR sends ADT and orders to. The
 * MllpServer of @pacs/hl7v2 frames, decodes, parses and acknowledges (AR for what it cannot read, AE for
 * handler failures, never a crash); Hl7InboundService decides each message. It starts once every module
 * is initialised (migrations applied) and stops accepting before the bus and database close.
 */
@Injectable()
export class MllpListener implements OnApplicationBootstrap, OnModuleDestroy {
  private server: MllpServer | undefined;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(HEALTH) private readonly health: HealthRegistry,
    private readonly inbound: Hl7InboundService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const host = this.config.PACS_HL7_MLLP_HOST || this.config.PACS_HTTP_HOST;
    this.server = new MllpServer({
      host,
      port: this.config.PACS_HL7_MLLP_PORT,
      maxMessageBytes: this.config.PACS_HL7_MAX_MESSAGE_BYTES,
      handler: (message) => this.inbound.handle(message),
      onEvent: (event) => this.log(event),
    });
    const address = await this.server.listen();
    this.health.add({
      name: 'mllp',
      check: async () => {
        if (!this.server?.address) throw new Error('the MLLP listener is not listening');
      },
    });
    this.logger.info({ host: address.address, port: address.port }, 'MLLP listener ready');
  }

  async onModuleDestroy(): Promise<void> {
    await this.server?.close(5_000);
    this.server = undefined;
  }

  /** Where it listens (after start-up): tests use the port of PACS_HL7_MLLP_PORT=0. */
  get address(): AddressInfo {
    if (!this.server) throw new Error('the MLLP listener is not started');
    return this.server.address;
  }

  // No message content reaches the log: only its control id and what was answered.
  private log(event: MllpServerEvent): void {
    switch (event.type) {
      case 'message':
        this.logger.info({ controlId: event.controlId, ack: event.ack }, 'HL7 message acknowledged');
        break;
      case 'rejected':
        this.logger.warn({ code: event.error.code, location: event.error.location }, 'HL7 message rejected');
        break;
      case 'handler-error':
        this.logger.warn(
          { err: event.error instanceof Error ? event.error.message : String(event.error) },
          'HL7 message failed',
        );
        break;
      case 'oversize':
        this.logger.warn({ bytes: event.size }, 'HL7 message over the size limit');
        break;
      case 'garbage':
        this.logger.warn({ bytes: event.bytes }, 'bytes outside an MLLP frame skipped');
        break;
      case 'socket-error':
        this.logger.debug({ err: event.error.message }, 'MLLP connection error');
        break;
      default:
        this.logger.debug({ event: event.type, remote: event.remote }, 'MLLP connection');
    }
  }
}
