import { catalogueFields, LOOKUP_FIELDS, type LookupField } from '@custodian/domain';
import {
  badParam,
  CLOCK,
  CurrentActor,
  PurposeIdParam,
  RequirePermission,
  SubjectIdParam,
  type Clock,
  type RequestActor,
} from '@custodian/platform';
import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Inject,
  Patch,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LookUpSubjectsCommand } from '../access/look-up-subjects.command';
import { IdempotencyKey } from '../shared/idempotency-key';
import { commandMeta } from '../shared/request-meta';
import { ApproveErasureCommand } from './approve-erasure.command';
import {
  ApproveErasureDto,
  DeclareFieldDto,
  ErasureRequestDto,
  RegisterSubjectDto,
  UpdateProfileDto,
} from './subjects.dto';
import { DeclareFieldCommand } from './declare-field.command';
import { EraseSubjectCommand } from './erase-subject.command';
import { RegisterSubjectCommand } from './register-subject.command';
import { SubjectAccessCommand } from './subject-access.command';
import { SubjectsService } from './subjects.service';
import { UpdateProfileCommand } from './update-profile.command';

/** A deliberate duplicate as the domain keeps it (ids lowercased, as the app writes them). */
const duplicateOf = (body: RegisterSubjectDto | UpdateProfileDto) =>
  body.duplicateOf && {
    subjectId: body.duplicateOf.subjectId.toLowerCase(),
    reason: body.duplicateOf.reason,
  };

/** The stream revision as an ETag, so If-Match can carry it back. */
const etag = (revision: bigint) => `"${revision}"`;

@Controller('v1')
export class SubjectsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly subjects: SubjectsService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Post('subjects')
  @RequirePermission('subjects.register')
  async register(
    @Body() body: RegisterSubjectDto,
    @IdempotencyKey() idempotencyKey: string | undefined,
    @CurrentActor() actor: RequestActor,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    // The request's fingerprint is keyed by the new customer's data key (the handler sets it).
    const meta = commandMeta(this.clock, request, actor, { key: idempotencyKey });
    const { subjectId, revision, replayed } = await this.commands.execute(
      new RegisterSubjectCommand(body.profile, body.source, meta, duplicateOf(body)),
    );
    void reply.status(201).header('etag', etag(revision));
    if (replayed) void reply.header('idempotent-replayed', 'true');
    return { subjectId, revision: String(revision) };
  }

  @Patch('subjects/:subjectId/profile')
  @RequirePermission('subjects.update')
  async updateProfile(
    @SubjectIdParam() subjectId: string,
    @Body() body: UpdateProfileDto,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentActor() actor: RequestActor,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    let expected: bigint | undefined;
    if (ifMatch !== undefined) {
      const match = /^(?:W\/)?"?(\d{1,18})"?$/.exec(ifMatch.trim());
      if (!match) throw badParam('If-Match', 'must be a revision as returned in ETag, e.g. "3"');
      expected = BigInt(match[1]);
    }
    const { revision } = await this.commands.execute(
      new UpdateProfileCommand(
        subjectId,
        body.profile,
        expected,
        commandMeta(this.clock, request, actor),
        duplicateOf(body),
      ),
    );
    void reply.header('etag', etag(revision));
    return { subjectId, revision: String(revision) };
  }

  @Get('subjects')
  @RequirePermission('subjects.lookup')
  async lookup(
    @Query('email') email: string | undefined,
    @Query('phone') phone: string | undefined,
    @Query('purpose', PurposeIdParam) purposeId: string,
    @CurrentActor() actor: RequestActor,
    @Req() request: FastifyRequest,
  ) {
    const given = LOOKUP_FIELDS.filter((f) => ({ email, phone })[f] !== undefined);
    if (given.length !== 1) throw badParam('email', 'give exactly one of email or phone');
    const field: LookupField = given[0];
    return this.commands.execute(
      new LookUpSubjectsCommand(
        field,
        (field === 'email' ? email : phone)!,
        purposeId,
        commandMeta(this.clock, request, actor),
      ),
    );
  }

  @Post('subjects/:subjectId/erasure')
  @HttpCode(202)
  @RequirePermission('subjects.erase')
  async erase(
    @SubjectIdParam() subjectId: string,
    @Body() body: ErasureRequestDto,
    @CurrentActor() actor: RequestActor,
    @Req() request: FastifyRequest,
  ) {
    return this.commands.execute(
      new EraseSubjectCommand(subjectId, body, commandMeta(this.clock, request, actor)),
    );
  }

  /** The second person on an erasure held past the hourly limit (never its requester). */
  @Post('subjects/:subjectId/erasure/approve')
  @HttpCode(200)
  @RequirePermission('subjects.erasure-approve')
  async approveErasure(
    @SubjectIdParam() subjectId: string,
    @Body() body: ApproveErasureDto,
    @CurrentActor() actor: RequestActor,
    @Req() request: FastifyRequest,
  ) {
    return this.commands.execute(
      new ApproveErasureCommand(
        subjectId,
        body.note ?? '',
        commandMeta(this.clock, request, actor),
      ),
    );
  }

  @Get('subjects/:subjectId/erasure')
  @RequirePermission('subjects.erasure-receipt')
  async erasureReceipt(@SubjectIdParam() subjectId: string) {
    return this.subjects.erasureReceipt(subjectId);
  }

  @Get('subjects/:subjectId/dsar')
  @RequirePermission('subjects.dsar')
  async subjectAccess(
    @SubjectIdParam() subjectId: string,
    @CurrentActor() actor: RequestActor,
    @Req() request: FastifyRequest,
  ) {
    return this.commands.execute(
      new SubjectAccessCommand(subjectId, commandMeta(this.clock, request, actor)),
    );
  }

  @Post('field-catalogue')
  @RequirePermission('catalogue.manage')
  async declareField(
    @Body() body: DeclareFieldDto,
    @CurrentActor() actor: RequestActor,
    @Req() request: FastifyRequest,
  ) {
    return this.commands.execute(
      new DeclareFieldCommand(
        { name: body.name, category: body.category, description: body.description },
        commandMeta(this.clock, request, actor),
      ),
    );
  }

  @Get('field-catalogue')
  @RequirePermission('catalogue.read')
  async catalogue() {
    return { fields: Object.values(catalogueFields(await this.subjects.catalogue())) };
  }
}
