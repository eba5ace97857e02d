//! Filtered statement reads (`Projection::query_seqs`): windows of seq in the query's order,
//! a driving key's seqs from `statement_key_index`, and the page picked among them on
//! `statements` (see `docs/ARCHITECTURE.md`, "Filtered xAPI reads").
use crate::sql::{SeqQuery, SeqRange, Windows};
use crate::{ClickHouseProjection, err};
use cairn_core::{Page, ProjectionError, StatementQuery};

/// The first window of seq a filtered read searches, and how much each next window grows.
pub(crate) const FIRST_WINDOW: u64 = 1 << 16;
const WINDOW_GROWTH: u64 = 8;
/// The most candidates one round of a two-step read asks for (the literal list of step two).
const MAX_CANDIDATES: u64 = 16_384;

impl ClickHouseProjection {
    /// The filtered read behind [`Projection::query_seqs`].
    pub(crate) async fn read_seqs(
        &self,
        query: &StatementQuery,
        page: &Page,
    ) -> Result<Vec<u64>, ProjectionError> {
        if page.limit == 0 {
            return Ok(Vec::new());
        }
        let asc = query.ascending;
        let whole = SeqRange::of(query, page);
        let mut windows = Windows::new(whole, asc, self.read_window, WINDOW_GROWTH);
        let mut out: Vec<u64> = Vec::with_capacity(page.limit);
        // No key: windows of `statements`, newest first.
        if SeqQuery::driver(query).is_none() {
            for w in windows {
                let q = SeqQuery::build_range(query, w, page.limit - out.len());
                out.extend(self.fetch_seqs(q, "query statements").await?);
                if out.len() >= page.limit {
                    break;
                }
            }
            return Ok(out);
        }
        // A key: its seqs window by window from `statement_key_index` (one primary-key range,
        // pruned to the window); with other conditions, the page is then picked among each
        // round of candidates on `statements`.
        let key_only = SeqQuery::key_only(query);
        let mut n = (page.limit as u64).saturating_mul(4).max(256);
        // A registration, or an agent or activity as actor or object, rarely has more than a
        // few thousand statements: its whole range is one cheap read. A verb or a related
        // agent or activity can cover much of the store: windows, newest first.
        if let Some((kind, _, true)) = SeqQuery::driver(query)
            && kind != "verb"
        {
            windows.widen();
        }
        while let Some(w) = windows.next() {
            let before = out.len();
            let mut rest = w;
            while !rest.is_empty() {
                let want = if key_only {
                    (page.limit - out.len()) as u64
                } else {
                    n
                };
                let Some(q) = SeqQuery::candidates(query, rest, want) else {
                    break;
                };
                let cands = self.fetch_seqs(q, "query statement keys").await?;
                let Some(&last) = cands.last() else { break };
                let more = cands.len() as u64 == want;
                if key_only {
                    out.extend(cands);
                } else {
                    let left = Page {
                        limit: page.limit - out.len(),
                        ..*page
                    };
                    let q = SeqQuery::build_in(query, &left, &cands);
                    out.extend(self.fetch_seqs(q, "query statements").await?);
                    n = n.saturating_mul(4).min(MAX_CANDIDATES);
                }
                if out.len() >= page.limit {
                    out.truncate(page.limit);
                    return Ok(out);
                }
                if !more {
                    break;
                }
                rest = rest.past(last, asc);
            }
            // Sparse here: the key is rare, so read the rest of its range at once.
            if (out.len() - before) * 8 < page.limit {
                windows.widen();
            }
        }
        Ok(out)
    }

    async fn fetch_seqs(&self, q: SeqQuery, context: &str) -> Result<Vec<u64>, ProjectionError> {
        q.bind(&self.client).fetch_all().await.map_err(err(context))
    }
}
