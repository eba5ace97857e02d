export function SharedPage() {
  return <div className="status muted">SharedPage</div>;
}
