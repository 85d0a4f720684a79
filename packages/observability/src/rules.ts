import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RecordingRule {
  record: string;
  expr: string;
}

export interface RuleGroup {
  name: string;
  interval?: string;
  rules: (AlertRule | RecordingRule)[];
}

export interface AlertRuleTest {
  eval_time: string;
  alertname: string;
  exp_alerts?: { exp_labels?: Record<string, string>; exp_annotations?: Record<string, string> }[];
}

/** Groups of every Prometheus rule file given. */
export function loadRuleGroups(files: string[]): RuleGroup[] {
  return files.flatMap((file) => (parse(readFileSync(file, 'utf8')) as { groups: RuleGroup[] }).groups);
}

export const alertRules = (groups: RuleGroup[]): AlertRule[] =>
  groups.flatMap((group) => group.rules).filter((rule): rule is AlertRule => 'alert' in rule);

export const recordingRules = (groups: RuleGroup[]): RecordingRule[] =>
  groups.flatMap((group) => group.rules).filter((rule): rule is RecordingRule => 'record' in rule);

/** Every `alert_rule_test` case of a promtool rule-test file. */
export function loadAlertRuleTests(file: string): AlertRuleTest[] {
  const tests = (parse(readFileSync(file, 'utf8')) as { tests: { alert_rule_test?: AlertRuleTest[] }[] }).tests;
  return tests.flatMap((test) => test.alert_rule_test ?? []);
}

/** A recording-rules file whose rules are the given expressions, for `promtool check rules` to parse. */
export function expressionsAsRuleFile(exprs: string[]): string {
  const rules = exprs.map((expr, index) => ({ record: `check:expr_${index}`, expr }));
  return JSON.stringify({ groups: [{ name: 'expression-check', rules }] }, null, 2);
}
