import { run } from '@pacs/runtime';
import { QidoFeature } from '@pacs/qido';

run({ name: 'qido', features: [QidoFeature] });
