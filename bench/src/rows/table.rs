//! Timings per row and side, printed as medians with throughput, the targets, and every
//! round.

use std::cell::RefCell;
use std::time::Duration;

use crate::peers::median;

/// What one run of a row moves, for its throughput column.
#[derive(Debug, Clone, Copy)]
pub enum Amount {
    /// Bytes (MB/s).
    Bytes(u64),
    /// Operations (files/s and µs/op).
    Ops(u64),
}

struct Row {
    label: String,
    amount: Amount,
    sides: Vec<(String, Vec<Duration>)>,
}

/// One group's table.
pub struct Table {
    title: String,
    rows: Vec<Row>,
    /// Lines under the table (targets, notes): added while the medians are read.
    notes: RefCell<Vec<String>>,
}

impl Table {
    /// An empty table headed `title`.
    pub fn new(title: &str) -> Table {
        Table {
            title: title.to_owned(),
            rows: Vec::new(),
            notes: RefCell::new(Vec::new()),
        }
    }

    /// Records one run of row `label` (which moves `amount`) on `side`.
    pub fn push(&mut self, label: &str, amount: Amount, side: &str, took: Duration) {
        eprintln!("  {label:<36} {side:<14} {:.3}s", took.as_secs_f64());
        let i = match self.rows.iter().position(|r| r.label == label) {
            Some(i) => i,
            None => {
                self.rows.push(Row {
                    label: label.to_owned(),
                    amount,
                    sides: Vec::new(),
                });
                self.rows.len() - 1
            }
        };
        let row = &mut self.rows[i];
        match row.sides.iter_mut().find(|(s, _)| s == side) {
            Some((_, v)) => v.push(took),
            None => row.sides.push((side.to_owned(), vec![took])),
        }
    }

    /// The median time of `label` on `side`.
    pub fn median(&self, label: &str, side: &str) -> Option<Duration> {
        let row = self.rows.iter().find(|r| r.label == label)?;
        let (_, v) = row.sides.iter().find(|(s, _)| s == side)?;
        Some(median(v))
    }

    /// Throughput of `label` on `side` from its median: MB/s or operations per second.
    pub fn rate(&self, label: &str, side: &str) -> Option<f64> {
        let row = self.rows.iter().find(|r| r.label == label)?;
        let t = self.median(label, side)?.as_secs_f64();
        Some(match row.amount {
            Amount::Bytes(b) => b as f64 / 1e6 / t,
            Amount::Ops(n) => n as f64 / t,
        })
    }

    /// Adds a target line: `what` is `ratio`, which must be at least `min`.
    pub fn target(&self, what: &str, ratio: Option<f64>, min: f64) {
        let line = match ratio {
            Some(r) => format!(
                "{what:<58} {r:>7.2}x  target >= {min}x: {}",
                if r >= min { "yes" } else { "NO" }
            ),
            None => format!("{what:<58}       -  target >= {min}x: not measured"),
        };
        self.notes.borrow_mut().push(line);
    }

    /// Adds a free line under the table.
    pub fn note(&self, line: String) {
        self.notes.borrow_mut().push(line);
    }

    /// Prints the medians (time and throughput per side), the targets and notes, and every
    /// round.
    pub fn print(&self) {
        println!();
        println!("{}", self.title);
        for r in &self.rows {
            let mut line = format!("  {:<36}", r.label);
            for (side, v) in &r.sides {
                let t = median(v).as_secs_f64();
                let rate = match r.amount {
                    Amount::Bytes(b) => format!("{:.0} MB/s", b as f64 / 1e6 / t),
                    Amount::Ops(n) => format!("{:.0}/s", n as f64 / t),
                };
                line += &format!(" | {side} {t:.3}s {rate}");
            }
            println!("{line}");
        }
        for n in self.notes.borrow().iter() {
            println!("  {n}");
        }
        println!("  all rounds (seconds):");
        for r in &self.rows {
            for (side, v) in &r.sides {
                let v: Vec<String> = v
                    .iter()
                    .map(|d| format!("{:.3}", d.as_secs_f64()))
                    .collect();
                println!("    {:<36} {side:<14} {}", r.label, v.join(" "));
            }
        }
    }
}
