export function DashboardScreen() {
  return <div className="status muted">DashboardScreen</div>;
}
