import { Module } from '@nestjs/common';
import { ApproveErasureHandler } from './approve-erasure.command';
import { DeclareFieldHandler } from './declare-field.command';
import { EraseSubjectHandler } from './erase-subject.command';
import { FieldCatalogueHandler } from './field-catalogue.query';
import { RegisterSubjectHandler } from './register-subject.command';
import { SubjectsByLookupHandler } from './subjects-by-lookup.query';
import { SubjectAccessHandler } from './subject-access.command';
import { SubjectsController } from './subjects.controller';
import { SubjectsService } from './subjects.service';
import { UpdateProfileHandler } from './update-profile.command';

/** Customers: registration, profiles, erasure, the field catalogue, subject access. */
@Module({
  controllers: [SubjectsController],
  providers: [
    SubjectsService,
    RegisterSubjectHandler,
    UpdateProfileHandler,
    EraseSubjectHandler,
    ApproveErasureHandler,
    DeclareFieldHandler,
    FieldCatalogueHandler,
    SubjectsByLookupHandler,
    SubjectAccessHandler,
  ],
})
export class SubjectsModule {}
