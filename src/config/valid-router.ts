import { compiledRule, type CompiledRule } from '../rules/index.js';
import type { RouterConfig } from './dynamic-config.js';

/**
 * A router as validation makes it: the four RouterConfig fields (in zod's key order), plus the
 * rule validation compiled to check it, kept for the table build that follows. Without it the
 * build would compile every common rule again (they skip the rule cache, rule-cache.ts), or
 * look the others up in it: ~3 ms of a 10,000-router first load (bench/RESULTS.md, "First
 * load: where a warm load's time goes now", and "First load: the rule handed from validation
 * to the build").
 *
 * The compiled rule is a private field, so nothing that reads a config sees it: JSON (the
 * admin API), spreads, structured clones (configs shipped to worker processes arrive without
 * it, and their builds compile the rule) and deep equality all see the four fields only.
 */
export class ValidRouter implements RouterConfig {
  #compiled: CompiledRule | undefined = undefined;

  constructor(
    public entryPoints: string[],
    public rule: string,
    public priority: number,
    public service: string,
  ) {}

  /** Compiles the rule (throws RuleError as compiledRule does) and keeps the result. */
  compile(): void {
    this.#compiled = compiledRule(this.rule);
  }

  /** The compiled rule of any router config: the one validation kept, else compiled now. */
  static compiledOf(config: RouterConfig): CompiledRule {
    return (#compiled in config && config.#compiled) || compiledRule(config.rule);
  }
}
