export { adminBackfillRoutes } from './backfill-routes.ts';
export { adminDashboardRoutes } from './dashboard/dashboard-routes.ts';
export { adminQualityRoutes, MAX_QUALITY_HISTORY_DAYS } from './quality-routes.ts';
