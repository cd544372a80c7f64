//! Rate-limited warnings for what a server controls: a flood of garbage frames must not fill
//! the user's disk with one log line each.

use std::time::{Duration, Instant};

/// Lines one budget lets through per window.
const PER_WINDOW: u32 = 10;
/// The window.
const WINDOW: Duration = Duration::from_secs(60);

/// Lets [`PER_WINDOW`] lines through per [`WINDOW`]; counts the rest and reports how many were
/// suppressed with the first line of the next window.
#[derive(Debug)]
pub struct LogBudget {
    window_start: Instant,
    used: u32,
    suppressed: u64,
}

impl Default for LogBudget {
    fn default() -> Self {
        LogBudget {
            window_start: Instant::now(),
            used: 0,
            suppressed: 0,
        }
    }
}

impl LogBudget {
    /// Whether a line may be logged now; `Some(n)` carries how many were suppressed since the
    /// last one (to mention in the line), `None` means stay quiet.
    pub fn allow(&mut self) -> Option<u64> {
        let now = Instant::now();
        if now.duration_since(self.window_start) >= WINDOW {
            self.window_start = now;
            self.used = 0;
        }
        if self.used >= PER_WINDOW {
            self.suppressed += 1;
            return None;
        }
        self.used += 1;
        Some(std::mem::take(&mut self.suppressed))
    }
}

/// Logs a WARN line through `budget` (a `&mut LogBudget`), noting suppressed repeats.
macro_rules! warn_limited {
    ($budget:expr, $($arg:tt)+) => {
        if let Some(suppressed) = $budget.allow() {
            if suppressed > 0 {
                tracing::warn!(suppressed, $($arg)+);
            } else {
                tracing::warn!($($arg)+);
            }
        }
    };
}
pub(crate) use warn_limited;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_gets_ten_lines_per_minute() {
        let mut b = LogBudget::default();
        let allowed = (0..10_000).filter(|_| b.allow().is_some()).count();
        assert_eq!(allowed, PER_WINDOW as usize);
        assert_eq!(b.suppressed, 10_000 - PER_WINDOW as u64);
        b.window_start -= WINDOW;
        assert_eq!(b.allow(), Some(10_000 - PER_WINDOW as u64));
    }
}
