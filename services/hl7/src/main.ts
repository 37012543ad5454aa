// The hl7 service: HL7 v2 over MLLP (ADT, orders in; ORU, webhooks out) and the worklist (UPS-RS, priors)
// that its orders fill.
import { Hl7Feature } from '@pacs/hl7';
import { run } from '@pacs/runtime';
import { WorklistFeature } from '@pacs/worklist';

run({ name: 'hl7', features: [Hl7Feature, WorklistFeature] });
