// The all-in-one PACS: every feature in one process with the embedded defaults (PGlite, files, in-process bus).
import { QidoFeature } from '@pacs/qido';
import { run } from '@pacs/runtime';
import { StowFeature } from '@pacs/stow';
import { WadoFeature } from '@pacs/wado';

run({ name: 'pacs', features: [StowFeature, QidoFeature, WadoFeature] });
