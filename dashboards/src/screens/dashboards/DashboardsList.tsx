export function DashboardsList() {
  return <div className="status muted">DashboardsList</div>;
}
