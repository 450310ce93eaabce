//! A fast, deterministic hasher for small integer keys (the multiply-rotate hash of Firefox and
//! rustc's `FxHasher`), for hash maps on hot paths whose keys no adversary chooses. std's default
//! SipHash resists hash flooding at several times the cost, which a simulator's own keys do not
//! need. Iteration order of a map never decides an output (callers only look up and count).

use std::hash::{BuildHasherDefault, Hasher};

/// A `HashMap` with [`FastHasher`].
pub type FastHashMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// The multiply-rotate hasher.
#[derive(Debug, Default, Clone, Copy)]
pub struct FastHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(i.into());
    }

    fn write_u16(&mut self, i: u16) {
        self.add(i.into());
    }

    fn write_u32(&mut self, i: u32) {
        self.add(i.into());
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_map_with_the_fast_hasher_counts_like_any_map() {
        let mut m: FastHashMap<(u64, u32), u32> = FastHashMap::default();
        for i in 0..10_000u64 {
            *m.entry((i % 97, (i % 13) as u32)).or_insert(0) += 1;
        }
        // 97 and 13 are coprime: every (i mod 97, i mod 13) pair occurs, 10,000 / 1,261 times.
        assert_eq!(m.len(), 97 * 13);
        assert_eq!(m.values().map(|&c| c as u64).sum::<u64>(), 10_000);
        assert!(m.values().all(|&c| c == 7 || c == 8));
    }
}
