import { Controller, Get, HttpException, Module, NotFoundException, Post, type ArgumentsHost } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { lastValueFrom, type Observable } from 'rxjs';
import { DicomwebError } from './dicomweb-error';
import { DicomwebExceptionFilter, type ExceptionLogger } from './dicomweb-exception.filter';

class RecordingLogger implements ExceptionLogger {
  readonly lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  error(fields: Record<string, unknown>, message: string): void {
    this.lines.push({ level: 'error', fields, message });
  }
  warn(fields: Record<string, unknown>, message: string): void {
    this.lines.push({ level: 'warn', fields, message });
  }
}

@Controller('dicomweb')
class FailingController {
  @Get('not-acceptable')
  notAcceptable(): never {
    throw new DicomwebError('NotAcceptable', 'None of the requested media types can be returned for a study');
  }

  @Get('unavailable')
  unavailable(): never {
    throw new DicomwebError('Unavailable', 'The index is unavailable', {
      cause: new Error('ECONNREFUSED 127.0.0.1:5432'),
    });
  }

  @Get('busy')
  busy(): never {
    throw new DicomwebError('TooManyRequests', 'Too many requests', { retryAfterSeconds: 30 });
  }

  @Get('bug')
  bug(): never {
    throw new TypeError("Cannot read properties of undefined (reading 'PatientName') DOE^JOHN");
  }

  @Get('nest-404')
  nest404(): never {
    throw new NotFoundException('No such thing');
  }

  @Get('nest-500')
  nest500(): never {
    throw new HttpException('upstream exploded', 502);
  }

  @Post('upload')
  upload(): string {
    return 'ok';
  }
}

@Module({ controllers: [FailingController] })
class FailingModule {}

describe('DicomwebExceptionFilter', () => {
  let app: NestFastifyApplication;
  const logger = new RecordingLogger();

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [FailingModule] }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter({ genReqId: () => 'req-42' }), {
      logger: false,
    });
    app.useGlobalFilters(new DicomwebExceptionFilter({ logger, service: 'wado' }));
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(() => app.close());
  beforeEach(() => logger.lines.splice(0));

  it('answers a DicomwebError with its status, a Warning with the reason, and a JSON body', async () => {
    const res = await app.inject({ method: 'GET', url: '/dicomweb/not-acceptable' });
    expect(res.statusCode).toBe(406);
    expect(res.headers['warning']).toBe('299 wado: None of the requested media types can be returned for a study');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toEqual({
      status: 406,
      code: 'NotAcceptable',
      message: 'None of the requested media types can be returned for a study',
      requestId: 'req-42',
    });
    expect(logger.lines).toEqual([]);
  });

  it('answers 503 with Retry-After and logs the cause as a warning', async () => {
    const res = await app.inject({ method: 'GET', url: '/dicomweb/unavailable' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(logger.lines).toEqual([
      {
        level: 'warn',
        message: 'The index is unavailable',
        fields: expect.objectContaining({
          requestId: 'req-42',
          code: 'Unavailable',
          cause: 'Error: ECONNREFUSED 127.0.0.1:5432',
        }),
      },
    ]);
  });

  it('answers 429 with the error’s own Retry-After', async () => {
    const res = await app.inject({ method: 'GET', url: '/dicomweb/busy' });
    expect(res.statusCode).toBe(429);
    expect(res.headers['retry-after']).toBe('30');
  });

  it('answers anything else with 500 and a fixed message, and logs it with the request id but not the URL', async () => {
    const res = await app.inject({ method: 'GET', url: '/dicomweb/bug?PatientName=DOE^JOHN' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({
      status: 500,
      code: 'Internal',
      message: 'The server failed to process the request',
      requestId: 'req-42',
    });
    expect(res.body).not.toContain('DOE');
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]!.level).toBe('error');
    expect(logger.lines[0]!.fields).toMatchObject({
      requestId: 'req-42',
      method: 'GET',
      route: '/dicomweb/bug',
      error: 'TypeError',
    });
    expect(JSON.stringify(logger.lines[0]!.fields.route)).not.toContain('PatientName');
  });

  it('keeps the status of the framework’s client errors (unknown route, Nest 4xx, Fastify content-type errors)', async () => {
    expect((await app.inject({ method: 'GET', url: '/dicomweb/nowhere' })).statusCode).toBe(404);
    const nest404 = await app.inject({ method: 'GET', url: '/dicomweb/nest-404' });
    expect(nest404.statusCode).toBe(404);
    expect(nest404.json()).toMatchObject({ code: 'NotFound', message: 'No such thing' });
    const unsupported = await app.inject({
      method: 'POST',
      url: '/dicomweb/upload',
      headers: { 'content-type': 'application/x-unknown' },
      payload: 'x',
    });
    expect(unsupported.statusCode).toBe(415);
    expect(unsupported.json()).toMatchObject({ code: 'UnsupportedMediaType' });
    expect(logger.lines).toEqual([]);
  });

  it('answers a framework 5xx as an internal error', async () => {
    const res = await app.inject({ method: 'GET', url: '/dicomweb/nest-500' });
    expect(res.statusCode).toBe(500);
    expect(res.json().message).toBe('The server failed to process the request');
  });

  it('cuts the connection when the response was already under way', () => {
    const destroy = jest.fn();
    const host = {
      getType: () => 'http',
      switchToHttp: () => ({
        getRequest: () => ({ id: 'r1', method: 'GET' }),
        getResponse: () => ({
          sent: true,
          raw: { headersSent: true, destroy },
          status: jest.fn(),
          header: jest.fn(),
          send: jest.fn(),
        }),
      }),
    } as unknown as ArgumentsHost;
    new DicomwebExceptionFilter({ logger }).catch(new DicomwebError('Unavailable', 'storage failed'), host);
    expect(destroy).toHaveBeenCalled();
  });

  it('leaves errors of message consumers to their transport', async () => {
    const error = new DicomwebError('Unavailable', 'broker down');
    const host = { getType: () => 'rpc' } as unknown as ArgumentsHost;
    const result = new DicomwebExceptionFilter({ logger }).catch(error, host) as Observable<never>;
    await expect(lastValueFrom(result)).rejects.toBe(error);
  });
});
