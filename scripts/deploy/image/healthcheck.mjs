// HEALTHCHECK of the image (Docker, Compose; Kubernetes uses its own probes): GET /healthz of this container.
// Plain Node, so the image needs no curl or wget.
const port = process.env.PACS_HTTP_PORT ?? '8080';
try {
  const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(4000) });
  process.exit(response.ok ? 0 : 1);
} catch {
  process.exit(1);
}
