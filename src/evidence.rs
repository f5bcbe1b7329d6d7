//! Evidence: the frames that support a claim, so that every finding can name them and give a
//! `tshark` filter that shows them.

use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// One frame: input (index into the report's `inputs`), 1-based frame number, timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct Ev {
    pub input: u16,
    pub frame: u64,
    pub ts: Timestamp,
}

/// The first frames that support a claim (at most `cap`) and the exact number of frames.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub frames: Vec<Ev>,
    pub count: u64,
}

impl Evidence {
    pub fn one(ev: Ev) -> Evidence {
        Evidence {
            frames: vec![ev],
            count: 1,
        }
    }

    /// Record one more supporting frame. Keeps the `cap` earliest frames (by input, then frame
    /// number), whatever order they arrive in, so a sharded run keeps the same ones.
    #[inline]
    pub fn add(&mut self, ev: Ev, cap: usize) {
        self.count += 1;
        match self.frames.last() {
            Some(last) if ev > *last => {
                if self.frames.len() < cap {
                    self.frames.push(ev);
                }
            }
            None => {
                if cap > 0 {
                    self.frames.push(ev)
                }
            }
            _ => {
                if let Err(i) = self.frames.binary_search(&ev) {
                    self.frames.insert(i, ev);
                    self.frames.truncate(cap);
                }
            }
        }
    }

    /// Fold another evidence list in (shard merge, report merge): keeps the earliest frames.
    pub fn merge(&mut self, other: &Evidence, cap: usize) {
        self.count += other.count;
        self.frames.extend_from_slice(&other.frames);
        self.frames.sort_unstable();
        self.frames.dedup();
        self.frames.truncate(cap);
    }

    pub fn first(&self) -> Option<Ev> {
        self.frames.first().copied()
    }
}

/// A frame cited as evidence: input index (into `inputs`), frame number in that file, time.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Frame {
    pub input: u16,
    pub frame: u64,
    pub ts: String,
}

impl From<Ev> for Frame {
    fn from(e: Ev) -> Frame {
        Frame {
            input: e.input,
            frame: e.frame,
            ts: String::new(),
        }
        .with_ts(e.ts)
    }
}

impl Frame {
    fn with_ts(mut self, t: Timestamp) -> Frame {
        self.ts = t.to_string();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(f: u64) -> Ev {
        Ev {
            input: 0,
            frame: f,
            ts: Timestamp(f),
        }
    }

    #[test]
    fn capped_but_counted() {
        let mut e = Evidence::default();
        for f in 1..=10 {
            e.add(ev(f), 3);
        }
        assert_eq!(e.count, 10);
        assert_eq!(e.frames, vec![ev(1), ev(2), ev(3)]);
        let mut other = Evidence::default();
        other.add(ev(0), 3);
        e.merge(&other, 3);
        assert_eq!(e.count, 11);
        assert_eq!(e.frames, vec![ev(0), ev(1), ev(2)]);
    }
}
