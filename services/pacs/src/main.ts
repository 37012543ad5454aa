// The all-in-one PACS: every feature in one process with the embedded defaults (PGlite, files, in-process bus).
import { Hl7Feature } from '@pacs/hl7';
import { QidoFeature } from '@pacs/qido';
import { RenderFeature } from '@pacs/render';
import { run } from '@pacs/runtime';
import { StowFeature } from '@pacs/stow';
import { WadoFeature } from '@pacs/wado';
import { WorklistFeature } from '@pacs/worklist';

run({ name: 'pacs', features: [StowFeature, QidoFeature, WadoFeature, RenderFeature, Hl7Feature, WorklistFeature] });
