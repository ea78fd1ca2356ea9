import { PRIVACY_REQUEST_KINDS } from '@custodian/domain';
import {
  CLOCK,
  CUSTODIAN_CONFIG,
  PURPOSE_ID_PATTERN,
  Public,
  badParam,
  type Clock,
  type CommandMeta,
  type CustodianConfig,
} from '@custodian/platform';
import { Controller, Get, HttpCode, Inject, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { CENTRE_CSS } from './centre-css';
import { CentreErrorFilter } from './centre-error.filter';
import {
  CENTRE_HEADERS,
  CentrePageError,
  gpcOf,
  languageOf,
  readCookie,
  sendHtml,
  sessionCookie,
} from './centre-http';
import {
  accessPage,
  CENTRE_REQUEST_KINDS,
  dataPage,
  homePage,
  layout,
  messagePage,
  requestsPage,
  type PageFrame,
  type Section,
  type SubjectBundle,
} from './centre-pages';
import { TEXT } from './centre-text';
import {
  CentreTokenError,
  CentreTokens,
  SESSION_TTL_MINUTES,
  type CentreLanguage,
  type CentreSession,
} from './centre-tokens';
import { PrivacyCentreService } from './privacy-centre.service';
import { sendAsset } from '../shared/web-pages';

/** The role every event written through the centre records (the customer acting on their own data). */
export const CENTRE_ROLE = 'privacy-centre';

type Form = Record<string, string | undefined>;

/**
 * The privacy centre: server-rendered pages for customers, reached through a signed link
 * (`POST /v1/subjects/{id}/privacy-links`), with a short session cookie instead of a password.
 * Plain forms (no script), a CSRF token on each, every action through the API's own commands.
 * Public to the bearer-token guard: the session cookie is what admits a customer, to their own
 * data only. Not in the API document: these are pages, not API routes.
 */
@ApiExcludeController()
@Public()
@UseFilters(CentreErrorFilter)
@Controller('privacy')
export class PrivacyCentreController {
  constructor(
    private readonly tokens: CentreTokens,
    private readonly centre: PrivacyCentreService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CUSTODIAN_CONFIG) private readonly config: CustodianConfig,
  ) {}

  /**
   * Opens a link: the token (a query value, which the request log never records) is checked,
   * a session cookie is set, and the page moves on to /privacy/home so the token leaves the
   * address bar. A `Refresh` rather than a redirect: a SameSite=Strict cookie set on a
   * redirect from a link in an email (a cross-site navigation) would not be sent on the next hop.
   */
  @Get('open')
  async open(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const token = (request.query as Record<string, unknown>).token;
    let link;
    try {
      link = await this.tokens.openLink(typeof token === 'string' ? token : '');
    } catch (error) {
      if (error instanceof CentreTokenError) throw CentrePageError.fromToken(error, 'link');
      throw error;
    }
    await this.centre.refuseErased(link.subjectId);
    const { cookie, session } = await this.tokens.startSession(link);
    const language = languageOf(request, session.language);
    if (gpcOf(request)) await this.centre.honourGpc(session, language, this.meta(request, session));
    const next = `/privacy/home?lang=${language}`;
    const t = TEXT[language];
    void reply
      .header('set-cookie', sessionCookie(request, cookie, SESSION_TTL_MINUTES * 60))
      .header('refresh', `0;url=${next}`);
    return sendHtml(
      reply,
      200,
      layout(
        this.frame(language, null, '/privacy/home'),
        t.centre,
        `<p><a href="${next}">${t.navHome}</a></p>`,
      ),
    );
  }

  @Get('home')
  async home(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const session = await this.session(request);
    const language = languageOf(request, session.language);
    const gpc = gpcOf(request);
    const done = (request.query as Record<string, unknown>).done;
    const [cards, ai] = await Promise.all([
      this.centre.purposes(session.subjectId, gpc),
      this.centre.aiAnswer(session.subjectId),
    ]);
    return sendHtml(
      reply,
      200,
      homePage(this.frame(language, 'home', '/privacy/home', session), cards, {
        gpc,
        flash: done === 'consent' ? TEXT[language].saved : undefined,
        ai,
      }),
    );
  }

  /** A grant or a withdrawal, recorded like the API's with the centre's evidence. */
  @Post('consents')
  async consent(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const session = await this.session(request);
    const form = this.checkedForm(request, session);
    const language = languageOf(request, session.language);
    const purposeId = form.purposeId;
    if (purposeId === undefined || !PURPOSE_ID_PATTERN.test(purposeId))
      throw badParam('purposeId', 'must name a purpose shown on the page');
    if (form.action !== 'grant' && form.action !== 'revoke')
      throw badParam('action', 'must be grant or revoke');
    const purpose = await this.centre.activePurpose(purposeId);
    if (!purpose) throw badParam('purposeId', 'must name a purpose shown on the page');
    const shown = purpose.notices.at(-1)?.version;
    if (
      form.action === 'grant' &&
      (form.noticeVersion === undefined || form.noticeVersion !== shown)
    )
      throw badParam('noticeVersion', 'must be the notice version shown on the page; reload it');
    await this.centre.recordConsent(
      session,
      { purposeId, action: form.action, noticeVersion: shown },
      language,
      gpcOf(request),
      this.meta(request, session),
    );
    return this.seeOther(reply, `/privacy/home?lang=${language}&done=consent`);
  }

  /** The subject-access bundle as a readable page (audited like any read of the data). */
  @Get('data')
  async data(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const session = await this.session(request);
    const language = languageOf(request, session.language);
    const bundle = await this.centre.bundle(session.subjectId, this.meta(request, session));
    return sendHtml(
      reply,
      200,
      dataPage(
        this.frame(language, 'data', '/privacy/data', session),
        bundle as unknown as SubjectBundle,
      ),
    );
  }

  /** The same bundle as a JSON download (audited too). */
  @Get('data.json')
  async dataJson(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const session = await this.session(request);
    const bundle = await this.centre.bundle(session.subjectId, this.meta(request, session));
    return reply
      .status(200)
      .headers(CENTRE_HEADERS)
      .header('content-disposition', 'attachment; filename="my-data.json"')
      .type('application/json; charset=utf-8')
      .send(JSON.stringify(bundle, null, 2));
  }

  @Get('access')
  async access(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const session = await this.session(request);
    const language = languageOf(request, session.language);
    const entries = await this.centre.accessList(session.subjectId);
    return sendHtml(
      reply,
      200,
      accessPage(this.frame(language, 'access', '/privacy/access', session), entries),
    );
  }

  @Get('requests')
  async requests(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const session = await this.session(request);
    const language = languageOf(request, session.language);
    const done = (request.query as Record<string, unknown>).done;
    const cases = await this.centre.cases(session.subjectId);
    return sendHtml(
      reply,
      200,
      requestsPage(this.frame(language, 'requests', '/privacy/requests', session), cases, {
        flash: done === 'request' ? TEXT[language].requested : undefined,
      }),
    );
  }

  /** Deletion, correction, restriction or a formal copy: opens a privacy request (a case). */
  @Post('requests')
  async request(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const session = await this.session(request);
    const form = this.checkedForm(request, session);
    const language = languageOf(request, session.language);
    const kind = form.kind;
    if (kind === undefined || !(CENTRE_REQUEST_KINDS as readonly string[]).includes(kind))
      throw badParam('kind', `must be one of ${CENTRE_REQUEST_KINDS.join(', ')}`);
    await this.centre.openRequest(
      session,
      kind as (typeof PRIVACY_REQUEST_KINDS)[number],
      this.meta(request, session),
    );
    return this.seeOther(reply, `/privacy/requests?lang=${language}&done=request`);
  }

  @Post('sign-out')
  @HttpCode(200)
  async signOut(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const session = await this.session(request);
    this.checkedForm(request, session);
    const language = languageOf(request, session.language);
    const t = TEXT[language];
    void reply.header('set-cookie', sessionCookie(request, '', 0));
    return sendHtml(
      reply,
      200,
      messagePage(this.frame(language, null, '/privacy/home'), t.signOut, t.signedOut),
    );
  }

  @Get('assets/centre.css')
  css(@Res() reply: FastifyReply) {
    return sendAsset(reply, 'text/css', CENTRE_CSS);
  }

  private frame(
    language: CentreLanguage,
    section: Section,
    path: string,
    session?: CentreSession,
  ): PageFrame {
    return {
      language,
      controllerName: this.config.controller.name,
      section,
      path,
      ...(session ? { csrf: this.tokens.csrfToken(session) } : {}),
    };
  }

  private async session(request: FastifyRequest): Promise<CentreSession> {
    const cookie = readCookie(request);
    if (!cookie) throw new CentrePageError(401, 'sessionOver');
    let session: CentreSession;
    try {
      session = await this.tokens.session(cookie);
    } catch (error) {
      if (error instanceof CentreTokenError) throw CentrePageError.fromToken(error, 'session');
      throw error;
    }
    await this.centre.refuseErased(session.subjectId);
    return session;
  }

  /** The posted form, once its CSRF token matches the session's. */
  private checkedForm(request: FastifyRequest, session: CentreSession): Form {
    const body = request.body;
    const form: Form = body && typeof body === 'object' ? (body as Form) : {};
    if (!this.tokens.csrfMatches(session, form.csrf)) throw new CentrePageError(403, 'formExpired');
    return form;
  }

  private seeOther(reply: FastifyReply, location: string) {
    return reply.status(303).headers(CENTRE_HEADERS).header('location', location).send();
  }

  /** The customer, acting through the centre: one actor per customer, in the centre's role. */
  private meta(request: FastifyRequest, session: CentreSession): CommandMeta {
    return {
      actor: { id: `${CENTRE_ROLE}:${session.subjectId}`, role: CENTRE_ROLE },
      requestId: String(request.id),
      causationId: randomUUID(),
      now: this.clock.now(),
    };
  }
}
