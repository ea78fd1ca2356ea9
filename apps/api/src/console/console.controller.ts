import {
  ActorAuthenticator,
  badParam,
  CLOCK,
  CUSTODIAN_CONFIG,
  ProjectionReader,
  Public,
  SuspensionRegistry,
  type Clock,
  type CustodianConfig,
} from '@custodian/platform';
import { isRole, type Role } from '@custodian/policy';
import {
  CanActivate,
  Controller,
  ExecutionContext,
  Get,
  Headers,
  HttpCode,
  HttpException,
  Inject,
  Injectable,
  Post,
  Req,
  Res,
  Sse,
  UseFilters,
  UseGuards,
  type MessageEvent,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Observable } from 'rxjs';
import { AccessDashboardService } from '../access-dashboard/access-dashboard.service';
import { AnomalyEvents } from '../dashboard/anomaly-events';
import { DashboardQueries, dayRange } from '../dashboard/dashboard-queries';
import { PrivacyRequestsService } from '../privacy-requests/privacy-requests.service';
import {
  pageHeaders,
  readCookieFor,
  sendAsset,
  sendPage,
  sessionCookieFor,
} from '../shared/web-pages';
import { CONSOLE_CSS, CONSOLE_JS } from './console-assets';
import { ConsoleErrorFilter, ConsolePageError } from './console-error.filter';
import { consolePage, signInPage, type ConsoleData, type ConsoleFrame } from './console-pages';
import {
  CONSOLE_ROLES,
  CONSOLE_SESSION_MINUTES,
  ConsoleSessions,
  type ConsoleSession,
} from './console-sessions';

/**
 * Headers on every console page: scripts, styles and connections to the app itself only (the
 * one script is a file of the app's, no inline script or style), forms post to the app only,
 * no framing, no referrer, nothing cached.
 */
export const CONSOLE_HEADERS = pageHeaders(
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
);
export const SESSION_COOKIE = 'custodian-console';
const SIGN_IN_COOKIE = 'custodian-console-sign-in';
const SIGN_IN_MINUTES = 30;
/** The read models behind what the event stream announces. */
const LIVE_MODELS = ['anomalies', 'actor_status'];

type Form = Record<string, string | undefined>;
type WithSession = FastifyRequest & { consoleSession?: ConsoleSession };

/** Admits the console's event stream by its session cookie (EventSource sends no bearer token). */
@Injectable()
export class ConsoleSessionGuard implements CanActivate {
  constructor(private readonly sessions: ConsoleSessions) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<WithSession>();
    request.consoleSession = await this.sessions.open(readCookieFor(request, SESSION_COOKIE));
    return true;
  }
}

/**
 * The compliance console: one server-rendered page for DPOs, admins and dashboards, with the
 * `/v1/dashboard/*` numbers as SVG charts and tables (the same query functions: one source),
 * kept live by the anomaly stream. Signed in by exchanging an API key or JWT (the API's own
 * authentication) for a short server-side session in an HttpOnly SameSite=Strict cookie.
 * Public to the bearer-token guard; not in the API document: these are pages.
 */
@ApiExcludeController()
@Public()
@UseFilters(ConsoleErrorFilter)
@Controller('console')
export class ConsoleController {
  constructor(
    private readonly sessions: ConsoleSessions,
    private readonly authenticator: ActorAuthenticator,
    private readonly suspensions: SuspensionRegistry,
    private readonly dashboards: DashboardQueries,
    private readonly requests: PrivacyRequestsService,
    private readonly access: AccessDashboardService,
    private readonly anomalyEvents: AnomalyEvents,
    private readonly projections: ProjectionReader,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CUSTODIAN_CONFIG) private readonly config: CustodianConfig,
  ) {}

  /** The overview for [from, to] (UTC days; default the last 30); no session: to sign-in. */
  @Get()
  async overview(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const session = await this.session(request);
    const query = request.query as Record<string, unknown>;
    const from = param(query, 'from');
    const to = param(query, 'to');
    // A refresh after a live event waits until the read models have applied it (the stream
    // hears of an anomaly as it reaches the log, possibly before the projection has).
    if (query.live !== undefined) {
      if (query.live !== '1') throw badParam('live', 'must be 1 or absent');
      await Promise.all(LIVE_MODELS.map((name) => this.projections.catchUp(name)));
    }
    const data = await consoleData(
      { dashboards: this.dashboards, requests: this.requests, access: this.access },
      this.clock,
      from,
      to,
    );
    return sendPage(reply, 200, consolePage(this.frame(session), data), CONSOLE_HEADERS);
  }

  @Get('sign-in')
  signInForm(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const query = request.query as Record<string, unknown>;
    const notice =
      query.ended === 'expired'
        ? { kind: 'warn' as const, text: 'Your session has ended. Sign in again.' }
        : query.ended === 'signed-out'
          ? { kind: 'info' as const, text: 'You have signed out.' }
          : undefined;
    return this.signInReply(request, reply, 200, notice);
  }

  /** Exchanges an API key or JWT for a session; only the dpo, admin and dashboard roles. */
  @Post('sign-in')
  async signIn(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const form = formOf(request);
    if (!this.sessions.signInCsrfMatches(readCookieFor(request, SIGN_IN_COOKIE), form.csrf))
      return this.signInReply(request, reply, 403, {
        kind: 'warn',
        text: 'The form had expired. Enter your key again.',
      });
    const token = form.token?.trim() ?? '';
    if (token === '' || token.length > 4096 || !/^[\x21-\x7e]+$/.test(token))
      return this.signInReply(request, reply, 400, undefined, [
        { field: 'token', problem: 'must be an API key or a JWT' },
      ]);
    const asked = form.role?.trim() || undefined;
    if (asked !== undefined && !(isRole(asked) && CONSOLE_ROLES.includes(asked)))
      return this.signInReply(request, reply, 400, undefined, [
        { field: 'role', problem: `must be one of ${CONSOLE_ROLES.join(', ')} (or left empty)` },
      ]);
    let actor: { id: string; roles: Role[] };
    try {
      actor = await this.authenticator.authenticate(token);
    } catch (error) {
      if (!(error instanceof HttpException)) throw error;
      return this.signInReply(request, reply, 401, {
        kind: 'warn',
        text: 'That key or token is not valid.',
      });
    }
    const role = asked ?? CONSOLE_ROLES.find((r) => actor.roles.includes(r));
    if (role === undefined || !actor.roles.includes(role))
      return this.signInReply(request, reply, 403, {
        kind: 'warn',
        text: asked
          ? `You do not hold the ${asked} role.`
          : 'The console is for the dpo, admin and dashboard roles; you hold none of them.',
      });
    if (this.suspensions.check(actor.id))
      return this.signInReply(request, reply, 403, {
        kind: 'warn',
        text: 'You are suspended; a DPO must reinstate you.',
      });
    const { secret } = await this.sessions.start(actor.id, role);
    return reply
      .status(303)
      .headers(CONSOLE_HEADERS)
      .header('set-cookie', [
        sessionCookieFor(request, SESSION_COOKIE, secret, CONSOLE_SESSION_MINUTES * 60),
        sessionCookieFor(request, SIGN_IN_COOKIE, '', 0),
      ])
      .header('location', '/console')
      .send();
  }

  /** Ends the session server-side (its cookie opens nothing any more) and clears the cookie. */
  @Post('sign-out')
  @HttpCode(303)
  async signOut(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const session = await this.session(request);
    if (!this.sessions.csrfMatches(session.sessionId, formOf(request).csrf))
      throw new ConsolePageError(403, 'The form had expired; reload the page and sign out again.');
    await this.sessions.end(session);
    return reply
      .status(303)
      .headers(CONSOLE_HEADERS)
      .header('set-cookie', sessionCookieFor(request, SESSION_COOKIE, '', 0))
      .header('location', '/console/sign-in?ended=signed-out')
      .send();
  }

  /**
   * The anomaly stream of `/v1/dashboard/anomalies/stream`, admitted by the session cookie; it
   * ends when the actor is suspended.
   */
  @Sse('events')
  @UseGuards(ConsoleSessionGuard)
  events(
    @Req() request: WithSession,
    @Headers('last-event-id') lastEventId?: string,
  ): Observable<MessageEvent> {
    return this.anomalyEvents.follow(request.consoleSession!.actorId, lastEventId);
  }

  @Get('assets/console.css')
  css(@Res() reply: FastifyReply) {
    return sendAsset(reply, 'text/css', CONSOLE_CSS);
  }

  @Get('assets/console.js')
  js(@Res() reply: FastifyReply) {
    return sendAsset(reply, 'text/javascript', CONSOLE_JS);
  }

  private signInReply(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    notice?: { kind: 'info' | 'warn'; text: string },
    problems: Array<{ field: string; problem: string }> = [],
  ) {
    const nonce = this.sessions.newSignInNonce();
    void reply.header(
      'set-cookie',
      sessionCookieFor(request, SIGN_IN_COOKIE, nonce, SIGN_IN_MINUTES * 60),
    );
    return sendPage(
      reply,
      status,
      signInPage(this.frame(), this.sessions.signInCsrf(nonce), notice, problems),
      CONSOLE_HEADERS,
    );
  }

  private frame(session?: ConsoleSession): ConsoleFrame {
    return {
      controllerName: this.config.controller.name,
      ...(session
        ? {
            actor: { id: session.actorId, role: session.role, expiresAt: session.expiresAt },
            csrf: this.sessions.csrfToken(session.sessionId),
          }
        : {}),
    };
  }

  private session(request: FastifyRequest): Promise<ConsoleSession> {
    return this.sessions.open(readCookieFor(request, SESSION_COOKIE));
  }
}

/** The console's numbers for a range: the dashboard routes' own query functions. */
export async function consoleData(
  sources: {
    dashboards: DashboardQueries;
    requests: PrivacyRequestsService;
    access: AccessDashboardService;
  },
  clock: Clock,
  from: string | undefined,
  to: string | undefined,
): Promise<ConsoleData> {
  const range = dayRange(from, to, clock.now());
  if (range.gte > range.lte) throw badParam('from', 'must not be after to');
  const days = { from: range.gte, to: range.lte };
  const [consents, anomalies, exports, incidents, counts, access, consentTrend] = await Promise.all(
    [
      sources.dashboards.consents(),
      sources.dashboards.anomalies(range.gte, range.lte),
      sources.dashboards.exports(range.gte, range.lte),
      sources.dashboards.incidents(),
      sources.requests.counts(clock.now()),
      sources.access.access(days),
      sources.access.consentTrend(days),
    ],
  );
  return {
    from: range.gte,
    to: range.lte,
    consents,
    anomalies,
    exports,
    incidents,
    requests: counts,
    access,
    consentTrend,
  };
}

function param(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw badParam(name, 'must be given once, as YYYY-MM-DD');
  return value;
}

/** The posted fields that are strings (a JSON body may carry anything; only text counts). */
function formOf(request: FastifyRequest): Form {
  const body = request.body;
  const form: Form = Object.create(null) as Form;
  if (body && typeof body === 'object')
    for (const [name, value] of Object.entries(body))
      if (typeof value === 'string') form[name] = value;
  return form;
}
