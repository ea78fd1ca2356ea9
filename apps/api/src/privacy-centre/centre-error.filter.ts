import { DomainError } from '@custodian/domain';
import { CUSTODIAN_CONFIG, type CustodianConfig } from '@custodian/platform';
import { ArgumentsHost, Catch, ExceptionFilter, Inject, Injectable, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { pageProblem } from '../shared/page-problem';
import { CentrePageError, languageOf, sendHtml } from './centre-http';
import { messagePage } from './centre-pages';
import { TEXT } from './centre-text';

const DOMAIN_STATUS = {
  invalid: 400,
  not_found: 404,
  conflict: 409,
  forbidden: 403,
  gone: 410,
  precondition: 412,
} as const;

const PAGES = {
  linkExpired: ['linkExpired', 'linkExpiredText'],
  linkInvalid: ['linkInvalid', 'linkInvalidText'],
  sessionOver: ['sessionOver', 'sessionOverText'],
  formExpired: ['formExpired', 'formExpiredText'],
  erased: ['erasedTitle', 'erasedText'],
} as const;

/**
 * Every refusal on a centre page is a page in the customer's language, with the centre's
 * headers: what happened and what to do, the fields at fault for bad input. Never a stack
 * trace; an unexpected error is logged (class and message) and shown as a plain 500 page.
 */
@Catch()
@Injectable()
export class CentreErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('PrivacyCentre');

  constructor(@Inject(CUSTODIAN_CONFIG) private readonly config: CustodianConfig) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const language = languageOf(request);
    const t = TEXT[language];
    const frame = {
      language,
      controllerName: this.config.controller.name,
      section: null,
      path: '/privacy/home',
    };
    if (exception instanceof CentrePageError) {
      const [title, text] = PAGES[exception.page];
      void sendHtml(reply, exception.status, messagePage(frame, t[title], t[text]));
      return;
    }
    if (exception instanceof DomainError && exception.kind === 'gone') {
      void sendHtml(reply, 410, messagePage(frame, t.erasedTitle, t.erasedText));
      return;
    }
    const { status, details } = pageProblem(exception, (e) => DOMAIN_STATUS[e.kind]);
    if (status >= 500) {
      const error = exception instanceof Error ? exception : new Error(String(exception));
      this.logger.error(`${error.name}: ${error.message}`, error.stack);
      void sendHtml(reply, 500, messagePage(frame, t.errorTitle, t.serverError, [], true));
      return;
    }
    void sendHtml(reply, status, messagePage(frame, t.badInput, t.errorTitle, details, true));
  }
}
