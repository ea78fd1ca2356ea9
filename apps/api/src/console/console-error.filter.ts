import { CUSTODIAN_CONFIG, type CustodianConfig } from '@custodian/platform';
import { ArgumentsHost, Catch, ExceptionFilter, Inject, Injectable, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { pageProblem } from '../shared/page-problem';
import { pageHeaders, sendPage } from '../shared/web-pages';
import { escapeHtml as h } from '../shared/web-pages';
import { layout } from './console-pages';
import { ConsoleSessionError } from './console-sessions';

/** A refusal the console shows as a page of its own. */
export class ConsolePageError extends Error {
  override readonly name = 'ConsolePageError';
  constructor(
    readonly status: number,
    readonly text: string,
  ) {
    super(text);
  }
}

const HEADERS = pageHeaders(
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
);

/**
 * Every refusal on a console route: no session (or an expired or ended one) sends a page to
 * sign-in (the event stream gets a 401); bad input is a 400 page naming the fields at fault;
 * anything unexpected is logged (class and message) and shown as a plain 500 page, never a trace.
 */
@Catch()
@Injectable()
export class ConsoleErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Console');

  constructor(@Inject(CUSTODIAN_CONFIG) private readonly config: CustodianConfig) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const frame = { controllerName: this.config.controller.name };
    const page = (status: number, title: string, body: string) =>
      void sendPage(reply, status, layout(frame, title, body), HEADERS);
    if (exception instanceof ConsoleSessionError) {
      if (request.method === 'GET' && !request.url.startsWith('/console/events')) {
        const to =
          exception.reason === 'missing' ? '/console/sign-in' : '/console/sign-in?ended=expired';
        void reply.status(303).headers(HEADERS).header('location', to).send();
        return;
      }
      page(
        401,
        'Signed out',
        '<p class="note warn">Your session has ended. <a href="/console/sign-in">Sign in again</a>.</p>',
      );
      return;
    }
    if (exception instanceof ConsolePageError) {
      page(exception.status, 'Not done', `<p class="note warn">${h(exception.text)}</p>`);
      return;
    }
    const { status, details } = pageProblem(exception, (e) => (e.kind === 'invalid' ? 400 : 409));
    if (status >= 500) {
      const error = exception instanceof Error ? exception : new Error(String(exception));
      this.logger.error(`${error.name}: ${error.message}`, error.stack);
      page(
        500,
        'Something went wrong',
        '<p class="note warn">The console could not answer. Try again later.</p>',
      );
      return;
    }
    page(
      status,
      'Not understood',
      `<p class="note warn">The request was not understood.</p><ul class="problems">${details
        .map(
          (d) =>
            `<li data-field="${h(d.field)}"><strong>${h(d.field)}</strong>: ${h(d.problem)}</li>`,
        )
        .join('')}</ul><p><a href="/console">Back to the console</a></p>`,
    );
  }
}
