import { run } from '@pacs/runtime';
import { StowFeature } from '@pacs/stow';

run({ name: 'stow', features: [StowFeature] });
