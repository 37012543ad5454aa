import type { Feature } from '@pacs/runtime';
import { Module } from '@nestjs/common';
import { Hl7InboundService } from './hl7-inbound.service';
import { Hl7Repository } from './hl7-repository';
import { InstanceIndexedConsumer } from './instance-indexed.consumer';
import { MllpListener } from './mllp-listener';
import { OutboxWorker } from './outbox-worker';
import { ReportDistributor } from './report-distributor';
import { UpsCompletionPoller } from './ups-completion.poller';

@Module({
  providers: [
    Hl7Repository,
    Hl7InboundService,
    MllpListener,
    OutboxWorker,
    ReportDistributor,
    InstanceIndexedConsumer,
    UpsCompletionPoller,
  ],
  exports: [Hl7Repository, MllpListener, OutboxWorker, UpsCompletionPoller],
})
export class Hl7Module {}

/**
 * The RIS/EHR integration over HL7 v2: the MLLP listener (ADT → patient.updated / patients.merged; orders
 * → UPS workitems through UPS-RS), report distribution (ORU^R01 over MLLP and webhooks through a
 * persistent outbox) and the patient records with their audit trail. Its tables live beside the index; it
 * calls UPS-RS through the deployment's DICOMweb API, as the service client under PACS_AUTH_MODE=jwt.
 */
export const Hl7Feature: Feature = { module: Hl7Module, requires: ['bus', 'index', 'dicomweb'] };
