import { describeIndexContract } from './index.contract';
import { openIndexDatabase } from './index-database';

describeIndexContract('PGlite', () => openIndexDatabase({ kind: 'pglite', dataDir: 'memory://' }));
