// The one place where failures become HTTP responses (Fastify adapter).
//
// PS3.18 defines no error payload for most transactions ("a failure response payload may contain a Status
// Report", §10.6.3.3); what it prescribes is the status code (§8.5) and, for a reason, the Warning header
// field `Warning: 299 <service>: <text>` (e.g. §11.6.3.2). So every error answer has:
//   - the status of its DicomwebError code,
//   - Warning: 299 <service>: <reason>,
//   - a small JSON body { status, code, message, requestId } for people and scripts,
//   - Retry-After on 429 and 503 (RFC 7231 §7.1.3, RFC 6585 §4).
// Anything that is not a DicomwebError is a bug or an unwrapped dependency failure: it is logged with the
// request id (never the request's payload or URL, which carry patient data) and answered 500 with a fixed
// message.
import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';
import { httpStatusOf, isDicomwebError, type DicomwebErrorCode } from './dicomweb-error';
import { formatWarning } from './format-warning';

/** What the filter logs through: pino's signature (fields first), which Nest's Logger is adapted to. */
export interface ExceptionLogger {
  error(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface DicomwebExceptionFilterOptions {
  logger?: ExceptionLogger;
  /** The warn-agent of the Warning header: the service's name. */
  service?: string;
  /** Retry-After of a 429 or 503 whose error does not say (seconds); default 5. */
  retryAfterSeconds?: number;
}

/** The parts of a Fastify request the filter reads. */
interface RequestLike {
  id?: string;
  method?: string;
  routeOptions?: { url?: string };
}

/** The parts of a Fastify reply the filter writes. */
interface ReplyLike {
  sent: boolean;
  raw: { headersSent: boolean; destroy(error?: Error): void };
  status(code: number): ReplyLike;
  header(name: string, value: string): ReplyLike;
  send(payload: string): unknown;
}

interface ErrorAnswer {
  status: number;
  code: string;
  message: string;
  retryAfterSeconds?: number;
}

const internalMessage = 'The server failed to process the request';

const codeOfStatus = new Map<number, DicomwebErrorCode>(
  (Object.entries(httpStatusOf) as [DicomwebErrorCode, number][]).map(([code, status]) => [status, code]),
);

const nestLogger = (): ExceptionLogger => {
  const logger = new Logger('DicomwebExceptionFilter');
  return {
    error: (fields, message) => logger.error(`${message} ${JSON.stringify(fields)}`),
    warn: (fields, message) => logger.warn(`${message} ${JSON.stringify(fields)}`),
  };
};

/** Status of a framework error that is the client's fault (Nest HttpException, Fastify's 4xx errors). */
function clientErrorStatus(exception: unknown): number | undefined {
  let status: number | undefined;
  if (exception instanceof HttpException) status = exception.getStatus();
  else if (exception instanceof Error) {
    const statusCode: unknown = (exception as Error & { statusCode?: unknown }).statusCode;
    if (typeof statusCode === 'number') status = statusCode;
  }
  return status !== undefined && status >= 400 && status < 500 ? status : undefined;
}

@Catch()
export class DicomwebExceptionFilter implements ExceptionFilter {
  private readonly logger: ExceptionLogger;
  private readonly service: string;
  private readonly retryAfterSeconds: number;

  constructor(options: DicomwebExceptionFilterOptions = {}) {
    this.logger = options.logger ?? nestLogger();
    this.service = options.service ?? 'pacs';
    this.retryAfterSeconds = options.retryAfterSeconds ?? 5;
  }

  catch(exception: unknown, host: ArgumentsHost): Observable<never> | void {
    if (host.getType() !== 'http') {
      // Consumers (hybrid application, inheritAppConfig) share this filter: leave their errors to the
      // transport, which retries what is retryable.
      return throwError(() => exception);
    }
    const http = host.switchToHttp();
    const request = http.getRequest<RequestLike>();
    const reply = http.getResponse<ReplyLike>();
    const requestId = request.id;
    const answer = this.answer(exception, request);

    if (reply.sent || reply.raw.headersSent) {
      // A streamed response failed half-way: the status is gone, only cutting the connection tells the
      // client that the body is incomplete.
      reply.raw.destroy();
      return;
    }
    reply.status(answer.status).header('content-type', 'application/json; charset=utf-8');
    reply.header('warning', formatWarning(answer.message, this.service));
    if (answer.retryAfterSeconds !== undefined) reply.header('retry-after', String(answer.retryAfterSeconds));
    reply.send(JSON.stringify({ status: answer.status, code: answer.code, message: answer.message, requestId }));
  }

  private answer(exception: unknown, request: RequestLike): ErrorAnswer {
    const where = { requestId: request.id, method: request.method, route: request.routeOptions?.url };
    if (isDicomwebError(exception)) {
      const status = exception.status;
      const answer: ErrorAnswer = { status, code: exception.code, message: exception.message };
      if (status === 429 || status === 503) {
        answer.retryAfterSeconds = exception.retryAfterSeconds ?? this.retryAfterSeconds;
      }
      if (status >= 500) {
        const cause =
          exception.cause instanceof Error ? `${exception.cause.name}: ${exception.cause.message}` : undefined;
        this.logger.warn({ ...where, code: exception.code, cause }, exception.message);
      }
      return answer;
    }
    const clientStatus = clientErrorStatus(exception);
    if (clientStatus !== undefined) {
      const message = exception instanceof Error && exception.message ? exception.message : 'The request is not valid';
      return { status: clientStatus, code: codeOfStatus.get(clientStatus) ?? 'ClientError', message };
    }
    const error = exception instanceof Error ? exception : new Error(String(exception));
    this.logger.error({ ...where, error: error.name, reason: error.message, stack: error.stack }, 'Request failed');
    return { status: 500, code: 'Internal', message: internalMessage };
  }
}
