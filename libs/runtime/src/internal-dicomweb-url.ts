import type { Config } from '@pacs/config';

/**
 * The DICOMweb root this feature calls inside the deployment (PACS_DICOMWEB_INTERNAL_URL): the gateway in
 * cluster mode, the public URL when one is configured, else this very process (the all-in-one).
 */
export function internalDicomwebUrl(
  config: Pick<Config, 'PACS_DICOMWEB_INTERNAL_URL' | 'PACS_PUBLIC_BASE_URL' | 'PACS_HTTP_HOST' | 'PACS_HTTP_PORT'>,
): string {
  const configured = config.PACS_DICOMWEB_INTERNAL_URL || config.PACS_PUBLIC_BASE_URL;
  if (configured) return configured.replace(/\/+$/, '');
  const host = ['0.0.0.0', '::', ''].includes(config.PACS_HTTP_HOST) ? '127.0.0.1' : config.PACS_HTTP_HOST;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.PACS_HTTP_PORT}/dicomweb`;
}
