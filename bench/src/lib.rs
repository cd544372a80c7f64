//! Shared helpers of wnet's benchmarks.
//!
//! # Layout
//! - [`stats`]: percentiles of timings.
//! - [`clients`]: the wnet sides: a drive through the daemon, the engine alone.
//! - [`peers`]: arguments, cache dropping, test data, `smbclient` and `rclone mount` peers.
//! - [`workload`]: the base table's workloads on any mounted side, timed until the data
//!   landed on the server.
//! - [`rows`]: `drive`'s row groups beyond its base table (parallel programs, encryption, a
//!   big directory, memory), selected with `--rows`.
#![deny(missing_docs)]

pub mod clients;
pub mod peers;
pub mod rows;
pub mod workload;

/// Percentiles of timings.
pub mod stats {
    use std::time::Duration;

    /// The `p`-th percentile (0–100) of `samples` (sorted in place), nearest rank.
    pub fn percentile(samples: &mut [Duration], p: f64) -> Duration {
        if samples.is_empty() {
            return Duration::ZERO;
        }
        samples.sort();
        let rank = ((p / 100.0) * samples.len() as f64).ceil() as usize;
        samples[rank.clamp(1, samples.len()) - 1]
    }

    /// Milliseconds with two decimals.
    pub fn ms(d: Duration) -> String {
        format!("{:.2} ms", d.as_secs_f64() * 1000.0)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn nearest_rank() {
            let mut v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
            assert_eq!(percentile(&mut v, 50.0), Duration::from_millis(50));
            assert_eq!(percentile(&mut v, 99.0), Duration::from_millis(99));
            assert_eq!(percentile(&mut [], 50.0), Duration::ZERO);
        }
    }
}
