//! [`Memo`]: a bounded, process-wide memo of results that are pure functions of
//! their key (a decompressed public key, a transaction id found well signed).
//!
//! Two generations of at most `capacity` entries each: lookups search both, new
//! entries go into the newer one, and when it is full the older one is dropped
//! and the newer takes its place. Memory stays bounded under any input, recent
//! entries survive one rollover, and a miss only costs recomputing.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

/// A bounded memo; see the [module docs](self). Usable in a `static`.
pub struct Memo<K, V> {
    capacity: usize,
    generations: Mutex<Option<Generations<K, V>>>,
}

struct Generations<K, V> {
    new: HashMap<K, V>,
    old: HashMap<K, V>,
}

impl<K: Hash + Eq, V: Clone> Memo<K, V> {
    /// An empty memo of two generations of at most `capacity` entries (at least 1).
    pub const fn new(capacity: usize) -> Self {
        Memo {
            capacity: if capacity == 0 { 1 } else { capacity },
            generations: Mutex::new(None),
        }
    }

    /// The remembered value of each of `keys`, in order; `None` where there is none.
    pub fn get_many<'a>(&self, keys: impl IntoIterator<Item = &'a K>) -> Vec<Option<V>>
    where
        K: 'a,
    {
        let g = self.generations.lock().unwrap_or_else(|e| e.into_inner());
        keys.into_iter()
            .map(|k| {
                g.as_ref()
                    .and_then(|g| g.new.get(k).or_else(|| g.old.get(k)))
                    .cloned()
            })
            .collect()
    }

    /// Remembers `entries`, dropping the older generation whenever the newer fills up.
    pub fn insert_many(&self, entries: impl IntoIterator<Item = (K, V)>) {
        let mut g = self.generations.lock().unwrap_or_else(|e| e.into_inner());
        let cap = self.capacity;
        let g = g.get_or_insert_with(|| Generations {
            new: HashMap::with_capacity(cap),
            old: HashMap::new(),
        });
        for (k, v) in entries {
            if g.new.len() >= cap && !g.new.contains_key(&k) {
                g.old = std::mem::replace(&mut g.new, HashMap::with_capacity(cap));
            }
            g.new.insert(k, v);
        }
    }

    /// How many entries are remembered (both generations; a key can be in both).
    pub fn len(&self) -> usize {
        let g = self.generations.lock().unwrap_or_else(|e| e.into_inner());
        g.as_ref().map(|g| g.new.len() + g.old.len()).unwrap_or(0)
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_recent_entries_and_stays_bounded() {
        let memo: Memo<u32, u32> = Memo::new(4);
        assert!(memo.is_empty());
        memo.insert_many((0..4).map(|i| (i, i * 10)));
        assert_eq!(memo.get_many(&[0, 3, 9]), vec![Some(0), Some(30), None]);
        // The fifth entry starts a new generation: the first four are still found.
        memo.insert_many([(4, 40)]);
        assert_eq!(memo.get_many(&[0, 4]), vec![Some(0), Some(40)]);
        // Re-inserting a key the newer generation holds does not roll it over.
        memo.insert_many([(4, 41)]);
        assert_eq!(memo.get_many(&[0, 4]), vec![Some(0), Some(41)]);
        // Filling the newer generation again drops the oldest one.
        memo.insert_many((5..9).map(|i| (i, i * 10)));
        assert_eq!(memo.get_many(&[0, 3]), vec![None, None]);
        assert_eq!(memo.get_many(&[4, 8]), vec![Some(41), Some(80)]);
        assert!(memo.len() <= 8);
        for i in 100..10_000 {
            memo.insert_many([(i, i)]);
            assert!(memo.len() <= 8);
        }
    }
}
