import { Module } from '@nestjs/common';
import { LegalHoldsController } from './legal-holds.controller';
import { ReadHeldFieldsHandler } from './read-held-fields.command';

/** Reading what a legal hold keeps, over HTTP. */
@Module({ controllers: [LegalHoldsController], providers: [ReadHeldFieldsHandler] })
export class LegalHoldsModule {}
