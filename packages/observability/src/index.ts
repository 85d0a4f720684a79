export { metricNamesIn, isBuiltinMetric, exposedSeriesBase } from './promql.ts';
export {
  loadDashboards,
  dataPanels,
  dashboardQueries,
  expandVariables,
  checkVariables,
  type Dashboard,
  type Panel,
  type DashboardQuery,
  type DatasourceRef,
} from './dashboards.ts';
export {
  loadRuleGroups,
  alertRules,
  recordingRules,
  loadAlertRuleTests,
  expressionsAsRuleFile,
  type AlertRule,
  type RecordingRule,
  type RuleGroup,
  type AlertRuleTest,
} from './rules.ts';
export { metricsMissingFromSources } from './sources.ts';
