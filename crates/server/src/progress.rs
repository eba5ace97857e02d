//! Progress of the long commands (`cairn migrate`, `cairn reproject`) and of a backlog that
//! `cairn serve` projects before serving: a progress bar (indicatif) with counts, rate and an
//! estimate when standard error is a terminal; otherwise
//! a log line at most every [`LOG_EVERY`] with the same counts and estimate, so that a log
//! collector sees the command advance without a bar's control characters.
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// How often a log line is written when standard error is not a terminal.
pub const LOG_EVERY: Duration = Duration::from_secs(5);

/// Reports how far a job of `total` units has got.
pub struct Progress {
    what: &'static str,
    unit: &'static str,
    total: u64,
    started: Instant,
    shown: Show,
}

enum Show {
    Bar(ProgressBar),
    Log { last: Option<Instant> },
}

impl Progress {
    /// A bar on standard error when it is a terminal, else periodic log lines.
    pub fn new(what: &'static str, unit: &'static str, total: u64) -> Self {
        Self::with(what, unit, total, std::io::stderr().is_terminal())
    }

    /// As [`Progress::new`], with the choice made by the caller.
    pub fn with(what: &'static str, unit: &'static str, total: u64, terminal: bool) -> Self {
        let shown = if terminal {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(&format!(
                "{{msg}} [{{bar:40}}] {{pos}}/{{len}} {unit} ({{elapsed}} so far, {{eta}} left)"
            ))
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            bar.set_style(style);
            bar.set_message(what);
            Show::Bar(bar)
        } else {
            Show::Log { last: None }
        };
        Progress {
            what,
            unit,
            total,
            started: Instant::now(),
            shown,
        }
    }

    /// `done` units of the total are done (`total` may have grown meanwhile).
    pub fn set(&mut self, done: u64, total: u64) {
        self.total = total.max(done);
        match &mut self.shown {
            Show::Bar(bar) => {
                bar.set_length(self.total);
                bar.set_position(done);
            }
            Show::Log { last } => {
                let now = Instant::now();
                if last.is_some_and(|l| now - l < LOG_EVERY) && done < self.total {
                    // The first and the last are always written.
                    return;
                }
                *last = Some(now);
                let eta = estimate(self.started.elapsed(), done, self.total);
                tracing::info!(
                    done,
                    total = self.total,
                    unit = self.unit,
                    eta_seconds = eta.map(|d| d.as_secs()),
                    "{}",
                    self.what
                );
            }
        }
    }

    /// Ends the bar (left on screen at its final count).
    pub fn finish(self) {
        if let Show::Bar(bar) = self.shown {
            bar.finish();
        }
    }
}

/// Time left at the average rate so far; `None` before anything is done (unless nothing is to
/// be done).
pub fn estimate(elapsed: Duration, done: u64, total: u64) -> Option<Duration> {
    if done >= total {
        return Some(Duration::ZERO);
    }
    if done == 0 {
        return None;
    }
    let left = total.saturating_sub(done) as f64;
    Some(Duration::from_secs_f64(
        elapsed.as_secs_f64() * left / done as f64,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_estimate_follows_the_average_rate() {
        assert_eq!(estimate(Duration::from_secs(10), 0, 100), None);
        assert_eq!(estimate(Duration::from_secs(1), 0, 0), Some(Duration::ZERO));
        assert_eq!(
            estimate(Duration::from_secs(10), 25, 100),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            estimate(Duration::from_secs(10), 100, 100),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn a_bar_follows_the_counts() {
        let mut p = Progress::with("reprojecting", "events", 10, true);
        p.set(4, 10);
        p.set(12, 11);
        let Show::Bar(bar) = &p.shown else {
            panic!("a terminal gets a bar")
        };
        assert_eq!((bar.position(), bar.length()), (12, Some(12)));
        p.finish();
        let log = Progress::with("reprojecting", "events", 10, false);
        assert!(matches!(log.shown, Show::Log { .. }));
    }
}
