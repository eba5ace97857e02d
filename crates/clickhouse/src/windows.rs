//! Ranges of sequence numbers that a filtered read searches: a page's range (bounded by the
//! positions that `since` / `until` imply), and its cut into windows in read order.
use cairn_core::{Page, StatementQuery};

/// A range of sequence numbers: above `above` (exclusive), up to `upto` (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeqRange {
    pub above: u64,
    pub upto: u64,
}

impl SeqRange {
    /// Everything a page may hold: up to `max_seq`, past `after` in the query's order.
    pub fn of_page(page: &Page, ascending: bool) -> Self {
        if ascending {
            SeqRange {
                above: page.after.unwrap_or(0),
                upto: page.max_seq,
            }
        } else {
            SeqRange {
                above: 0,
                upto: page
                    .after
                    .map_or(page.max_seq, |a| a.saturating_sub(1).min(page.max_seq)),
            }
        }
    }

    /// [`SeqRange::of_page`] within the log positions that the query's `since` / `until`
    /// imply (`seq_above`, `seq_upto`): the primary key prunes what the times would only filter.
    pub fn of(query: &StatementQuery, page: &Page) -> Self {
        let r = Self::of_page(page, query.ascending);
        SeqRange {
            above: r.above.max(query.seq_above),
            upto: query.seq_upto.map_or(r.upto, |u| u.min(r.upto)),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.above >= self.upto
    }

    /// What is left of the range once everything up to `seq` (in read order) has been read.
    pub fn past(self, seq: u64, ascending: bool) -> Self {
        if ascending {
            SeqRange {
                above: seq.max(self.above),
                ..self
            }
        } else {
            SeqRange {
                upto: seq.saturating_sub(1).min(self.upto),
                ..self
            }
        }
    }
}

/// A range cut into windows in read order (newest first when descending), each `growth` times
/// the size of the one before: a page of recent matches then reads a few granules of a table
/// ordered by seq (or of one key's range of `statement_key_index`) instead of all of it.
#[derive(Debug, Clone)]
pub struct Windows {
    rest: SeqRange,
    ascending: bool,
    size: u64,
    growth: u64,
}

impl Windows {
    pub fn new(range: SeqRange, ascending: bool, first: u64, growth: u64) -> Self {
        Windows {
            rest: range,
            ascending,
            size: first.max(1),
            growth: growth.max(2),
        }
    }
}

impl Windows {
    /// The next window covers everything left (the matches so far were sparse).
    pub fn widen(&mut self) {
        self.size = u64::MAX;
    }
}

impl Iterator for Windows {
    type Item = SeqRange;

    fn next(&mut self) -> Option<SeqRange> {
        if self.rest.is_empty() {
            return None;
        }
        let w = if self.ascending {
            let top = self
                .rest
                .above
                .saturating_add(self.size)
                .min(self.rest.upto);
            let w = SeqRange {
                above: self.rest.above,
                upto: top,
            };
            self.rest.above = top;
            w
        } else {
            let floor = self
                .rest
                .upto
                .saturating_sub(self.size)
                .max(self.rest.above);
            let w = SeqRange {
                above: floor,
                upto: self.rest.upto,
            };
            self.rest.upto = floor;
            w
        };
        self.size = self.size.saturating_mul(self.growth);
        Some(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_bounds_narrow_the_page_range() {
        let p = Page {
            max_seq: 100,
            after: Some(50),
            limit: 1,
        };
        let mut q = StatementQuery::new(cairn_core::StoreId::DEFAULT);
        assert_eq!(SeqRange::of(&q, &p), SeqRange::of_page(&p, false));
        q.seq_above = 20;
        q.seq_upto = Some(70);
        assert_eq!(
            SeqRange::of(&q, &p),
            SeqRange {
                above: 20,
                upto: 49
            }
        );
        q.ascending = true;
        assert_eq!(
            SeqRange::of(&q, &p),
            SeqRange {
                above: 50,
                upto: 70
            }
        );
        q.seq_upto = Some(10);
        assert!(SeqRange::of(&q, &p).is_empty());
    }

    #[test]
    fn ranges_of_pages_exclude_after() {
        let p = Page {
            max_seq: 100,
            after: Some(50),
            limit: 1,
        };
        assert_eq!(
            SeqRange::of_page(&p, true),
            SeqRange {
                above: 50,
                upto: 100
            }
        );
        assert_eq!(
            SeqRange::of_page(&p, false),
            SeqRange { above: 0, upto: 49 }
        );
        let r = SeqRange {
            above: 10,
            upto: 20,
        };
        assert_eq!(
            r.past(15, true),
            SeqRange {
                above: 15,
                upto: 20
            }
        );
        assert_eq!(
            r.past(15, false),
            SeqRange {
                above: 10,
                upto: 14
            }
        );
        assert!(r.past(20, true).is_empty() && r.past(11, false).is_empty());
    }

    #[test]
    fn windows_cover_the_range_once_in_read_order_and_grow() {
        let r = SeqRange {
            above: 3,
            upto: 100,
        };
        let down: Vec<_> = Windows::new(r, false, 2, 4).collect();
        let up: Vec<_> = Windows::new(r, true, 2, 4).collect();
        assert_eq!(
            down[0],
            SeqRange {
                above: 98,
                upto: 100
            }
        );
        assert_eq!(
            down[1],
            SeqRange {
                above: 90,
                upto: 98
            }
        );
        assert_eq!(up[0], SeqRange { above: 3, upto: 5 });
        assert_eq!(up[1], SeqRange { above: 5, upto: 13 });
        for (ws, asc) in [(down, false), (up, true)] {
            // Read order: each window in the query's order, the windows one after the other.
            let mut seqs: Vec<u64> = Vec::new();
            for w in &ws {
                let mut inside: Vec<u64> = (w.above + 1..=w.upto).collect();
                if !asc {
                    inside.reverse();
                }
                seqs.extend(inside);
            }
            let mut expected: Vec<u64> = (4..=100).collect();
            if !asc {
                expected.reverse();
            }
            assert_eq!(seqs, expected, "ascending: {asc}");
        }
        assert_eq!(
            Windows::new(SeqRange { above: 5, upto: 5 }, true, 1, 8).count(),
            0
        );
    }
}
