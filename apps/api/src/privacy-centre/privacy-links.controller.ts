import {
  badParam,
  CUSTODIAN_CONFIG,
  RequirePermission,
  SubjectIdParam,
  type CustodianConfig,
} from '@custodian/platform';
import { Body, Controller, Inject, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { LINK_TTL_MINUTES, CentreTokens } from './centre-tokens';
import { IssuePrivacyLinkDto } from './privacy-links.dto';
import { PrivacyCentreService } from './privacy-centre.service';

/** Signed links to the privacy centre, for the CRM to send the customer by its own channel. */
@Controller('v1')
export class PrivacyLinksController {
  constructor(
    private readonly tokens: CentreTokens,
    private readonly centre: PrivacyCentreService,
    @Inject(CUSTODIAN_CONFIG) private readonly config: CustodianConfig,
  ) {}

  /**
   * `{ url, expiresAt }`: a link for this customer only, signed under a key derived from the
   * master key, expiring (default one day). The token holds no personal value; it is a query
   * value, which the request log never records. 404 for an unknown customer, 410 once erased.
   */
  @Post('subjects/:subjectId/privacy-links')
  @RequirePermission('privacy-links.issue')
  async issue(
    @SubjectIdParam() subjectId: string,
    @Body() body: IssuePrivacyLinkDto,
    @Req() request: FastifyRequest,
  ) {
    await this.centre.refuseUnknownOrErased(subjectId);
    const { token, expiresAt } = await this.tokens.issueLink(subjectId, {
      language: body.language ?? null,
      jurisdiction: body.jurisdiction ?? 'ru',
      ttlMinutes: body.validForMinutes ?? LINK_TTL_MINUTES.default,
    });
    const base = this.config.privacyCentreUrl ?? this.origin(request);
    return {
      url: `${base.replace(/\/+$/, '')}/privacy/open?token=${token}`,
      expiresAt: expiresAt.toISOString(),
    };
  }

  /** Without CUSTODIAN_PRIVACY_CENTRE_URL, the origin the caller reached the API on. */
  private origin(request: FastifyRequest): string {
    if (
      !/^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/.test(request.host)
    )
      throw badParam('Host', 'is not a host name; set CUSTODIAN_PRIVACY_CENTRE_URL');
    return `${request.protocol}://${request.host}`;
  }
}
