// A process of the shared HTTP layer with one small DICOMweb-shaped controller (no ports: nothing to start), whose
// log and audit lines are captured: for the security and observability tests of @pacs/runtime and @pacs/gateway.
import { Body, Controller, Get, Header, Module, Param, Post, Req } from '@nestjs/common';
import type { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import type { FastifyRequest } from 'fastify';
import { createApp, type App, type BootstrapOptions } from '../src/bootstrap';
import { RequestContext } from '../src/request-context';

@Controller('dicomweb')
class ProbeController {
  constructor(private readonly context: RequestContext) {}

  @Get('studies')
  search(@Req() request: FastifyRequest) {
    const { partitionId, principal } = this.context.of(request);
    return { partitionId, subject: principal.subject };
  }

  @Get('studies/:study/metadata')
  @Header('Vary', 'Accept-Encoding')
  metadata(@Param('study') study: string) {
    return [{ study }];
  }

  @Post('studies')
  store() {
    return { stored: true };
  }

  /** Echoes a DICOM JSON body (as UPS-RS create receives one). */
  @Post('workitems')
  createWorkitem(@Body() body: unknown) {
    return { received: body };
  }
}

@Module({ controllers: [ProbeController] })
export class ProbeModule {}

export interface Captured {
  lines: Record<string, unknown>[];
  raw: string[];
}

export type ProbeApp = App & { base: string; log: Captured };

export async function startProbe(
  overrides: Record<string, string>,
  spans?: InMemorySpanExporter,
  features: BootstrapOptions['features'] = [{ module: ProbeModule, requires: [] }],
  name = 'probe',
): Promise<ProbeApp> {
  const log: Captured = { lines: [], raw: [] };
  const app = await createApp({
    name,
    features,
    env: {},
    overrides: { PACS_LOG_LEVEL: 'info', ...overrides },
    logDestination: {
      write: (text: string) => {
        log.raw.push(text);
        for (const line of text.split('\n').filter(Boolean))
          log.lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
    ...(spans ? { spanExporter: spans } : {}),
  });
  await app.app.listen(0, '127.0.0.1');
  const { port } = app.app.getHttpServer().address() as { port: number };
  return { ...app, base: `http://127.0.0.1:${port}`, log };
}

/** Audit lines appear when the response closed: wait until there are n. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read records as loose JSON
export async function auditLines(log: Captured, n: number): Promise<Record<string, any>[]> {
  for (let i = 0; i < 100; i++) {
    const audit = log.lines.filter((l) => l.log === 'audit');
    if (audit.length >= n) return audit;
    await new Promise((r) => setTimeout(r, 10));
  }
  return log.lines.filter((l) => l.log === 'audit');
}
