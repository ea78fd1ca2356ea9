import { Global, Module } from '@nestjs/common';
import { SingletonLease } from './singleton-lease';

/** The deployment's singleton lease, for the API processes (all of them compete for it). */
@Global()
@Module({ providers: [SingletonLease], exports: [SingletonLease] })
export class LeaseModule {}
