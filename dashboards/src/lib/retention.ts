// A store's retention (whole months of statements kept, or forever): its bounds and how it reads.

export const RETENTION_MIN = 1;
export const RETENTION_MAX = 1200;

/** How a store's retention reads on its page. */
export function retentionText(months: number | null | undefined): string {
  if (months == null) return "Statements are kept forever.";
  const unit = months === 1 ? "month" : "months";
  return `Statements are kept for ${months} whole ${unit} (by the time they were stored); older months are archived to files and removed.`;
}
