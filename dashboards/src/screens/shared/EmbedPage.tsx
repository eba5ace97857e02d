export function EmbedPage() {
  return <div className="status muted">EmbedPage</div>;
}
