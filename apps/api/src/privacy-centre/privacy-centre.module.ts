import { Module } from '@nestjs/common';
import { CentreErrorFilter } from './centre-error.filter';
import { CentreTokens } from './centre-tokens';
import { PrivacyCentreController } from './privacy-centre.controller';
import { PrivacyCentreService } from './privacy-centre.service';
import { PrivacyLinksController } from './privacy-links.controller';

/** The customers' privacy centre (pages under /privacy) and the links that open it. */
@Module({
  controllers: [PrivacyLinksController, PrivacyCentreController],
  providers: [CentreTokens, PrivacyCentreService, CentreErrorFilter],
})
export class PrivacyCentreModule {}
