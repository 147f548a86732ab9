export { dashboardRoute, dashboardState } from './dashboard-route.js';
export type { DashboardInvocation, DashboardParts, DashboardState } from './dashboard-route.js';
export { DASHBOARD_HTML } from './dashboard-page.js';
