import { CommandExecutor, type CommandMeta } from '@custodian/platform';
import { ANOMALY_RULES_STREAM } from '@custodian/policy';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  anomalyRulesDecider,
  lastRulesPublished,
  type RulesInForce,
} from './anomaly-rules.decider';
import { candidateRuleSet } from './candidate-rule-set';
import type { AnomalyRulesDto } from './oversight.dto';

/** A new version of the whole rule set; it applies to events after it. */
export class PublishAnomalyRulesCommand extends Command<RulesInForce> {
  constructor(
    readonly rules: AnomalyRulesDto,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

@CommandHandler(PublishAnomalyRulesCommand)
export class PublishAnomalyRulesHandler implements ICommandHandler<PublishAnomalyRulesCommand> {
  constructor(private readonly commands: CommandExecutor) {}

  async execute({ rules, meta }: PublishAnomalyRulesCommand): Promise<RulesInForce> {
    const outcome = await this.commands.execute(
      ANOMALY_RULES_STREAM,
      anomalyRulesDecider,
      { type: 'PublishAnomalyRules', ruleSet: candidateRuleSet(rules) },
      () => ({ now: meta.now }),
      meta,
      { load: lastRulesPublished },
    );
    return outcome.state;
  }
}
