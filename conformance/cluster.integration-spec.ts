import { describeDicomwebConformance } from './dicomweb.suite';
import { startClusterTarget } from './support/cluster-target';

// The same suite as the embedded process, against gateway → stow / qido / wado processes over real
// PostgreSQL, Kafka and S3 (the services must be built: npm run build).
describeDicomwebConformance('cluster (gateway, stow, qido, wado over PostgreSQL, Kafka, S3)', async () => {
  const target = await startClusterTarget();
  return {
    rootUrl: target.cluster.gatewayUrl,
    baseUrl: `${target.cluster.gatewayUrl}/dicomweb`,
    close: () => target.close(),
  };
});
