import { run } from '@pacs/runtime';
import { GatewayFeature } from '@pacs/gateway';

run({ name: 'gateway', features: [GatewayFeature] });
