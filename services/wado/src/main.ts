import { run } from '@pacs/runtime';
import { WadoFeature } from '@pacs/wado';

run({ name: 'wado', features: [WadoFeature] });
