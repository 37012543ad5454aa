import { S3BlobStore } from '@pacs/storage';
import { describeDicomwebConformance } from './dicomweb.suite';
import { startClusterTarget } from './support/cluster-target';

// The same suite as the embedded process, against gateway → stow / qido / wado processes over real
// PostgreSQL, Kafka and S3 (the services must be built: npm run build).
describeDicomwebConformance('cluster (gateway, stow, qido, wado over PostgreSQL, Kafka, S3)', async () => {
  const target = await startClusterTarget();
  return {
    rootUrl: target.cluster.gatewayUrl,
    baseUrl: `${target.cluster.gatewayUrl}/dicomweb`,
    listBlobs: async () => {
      const store = new S3BlobStore({
        endpoint: target.env.PACS_S3_ENDPOINT,
        region: target.env.PACS_S3_REGION!,
        bucket: target.env.PACS_S3_BUCKET!,
        accessKeyId: target.env.PACS_S3_ACCESS_KEY_ID,
        secretAccessKey: target.env.PACS_S3_SECRET_ACCESS_KEY,
        forcePathStyle: true,
      });
      const keys: string[] = [];
      for await (const blob of store.list(`p/`)) keys.push(blob.key);
      return keys;
    },
    close: () => target.close(),
  };
});
