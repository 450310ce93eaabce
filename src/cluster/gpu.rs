//! The GPUs of one node, each with its own free share, so that a share of a GPU is placed on one
//! physical GPU and never split across two (the node's total free share says too little: two half-free
//! GPUs cannot host a 0.8 share).

use serde::Serialize;

use crate::resources::GPU_MILLI;

/// The most GPUs one node may have.
pub const MAX_GPUS: usize = 16;

/// Which GPUs of a node an attempt holds, one bit per GPU (empty for a task without GPUs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub struct GpuSet(pub u16);

impl GpuSet {
    /// No GPU.
    pub const NONE: GpuSet = GpuSet(0);

    /// The GPUs in the set, lowest first.
    pub fn indices(self) -> impl Iterator<Item = usize> {
        (0..MAX_GPUS).filter(move |i| self.0 & (1 << i) != 0)
    }

    /// Number of GPUs in the set.
    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// True for the empty set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// Free share of each GPU of a node, in thousandths of a GPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GpuSlots {
    free: [u16; MAX_GPUS],
    count: u8,
}

impl GpuSlots {
    /// `count` (at most [`MAX_GPUS`]) idle GPUs.
    pub fn new(count: usize) -> GpuSlots {
        assert!(count <= MAX_GPUS, "a node has at most {MAX_GPUS} GPUs");
        let mut free = [0; MAX_GPUS];
        free[..count].fill(GPU_MILLI as u16);
        GpuSlots {
            free,
            count: count as u8,
        }
    }

    /// Free share of each GPU.
    pub fn free(&self) -> &[u16] {
        &self.free[..self.count as usize]
    }

    /// Number of GPUs.
    pub fn count(&self) -> usize {
        self.count as usize
    }

    /// Number of GPUs with nothing allocated.
    pub fn idle(&self) -> usize {
        self.free()
            .iter()
            .filter(|&&f| u64::from(f) == GPU_MILLI)
            .count()
    }

    /// Sum of the free shares.
    pub fn total_free(&self) -> u64 {
        self.free().iter().map(|&f| u64::from(f)).sum()
    }

    /// The largest GPU demand that fits now, as one number a demand can be compared with: 1000 per
    /// idle GPU when some GPU is idle, otherwise the largest free share. A share `d < 1000` fits
    /// exactly when `d <= placeable`, and `k` whole GPUs exactly when `k * 1000 <= placeable`; and
    /// the maximum over nodes is an upper bound for every node, as a placement index needs.
    pub fn placeable(&self) -> u64 {
        match self.idle() {
            0 => self.free().iter().map(|&f| u64::from(f)).max().unwrap_or(0),
            n => n as u64 * GPU_MILLI,
        }
    }

    /// Whether a share of `gpu_milli` (below one GPU) fits on GPU `gpu`.
    pub fn share_fits_on(&self, gpu: usize, gpu_milli: u64) -> bool {
        gpu < self.count() && u64::from(self.free[gpu]) >= gpu_milli
    }

    /// Where a demand of `gpu_milli` goes by default, or `None` when it does not fit: a share on the
    /// GPU with the least free share that holds it (best fit, so idle GPUs stay idle for whole-GPU
    /// tasks; ties: lowest index), whole GPUs on the lowest-numbered idle ones. Zero: no GPU.
    pub fn choose(&self, gpu_milli: u64) -> Option<GpuSet> {
        if gpu_milli == 0 {
            return Some(GpuSet::NONE);
        }
        if gpu_milli < GPU_MILLI {
            return (0..self.count())
                .filter(|&g| self.share_fits_on(g, gpu_milli))
                .min_by_key(|&g| (self.free[g], g))
                .map(|g| GpuSet(1 << g));
        }
        let want = (gpu_milli / GPU_MILLI) as usize;
        let idle: Vec<usize> = (0..self.count())
            .filter(|&g| u64::from(self.free[g]) == GPU_MILLI)
            .take(want)
            .collect();
        (idle.len() == want).then(|| GpuSet(idle.iter().fold(0, |m, g| m | 1 << g)))
    }

    /// The share each GPU of `set` holds for a demand of `gpu_milli`.
    fn per_gpu(set: GpuSet, gpu_milli: u64) -> u16 {
        if gpu_milli < GPU_MILLI {
            assert_eq!(set.len(), 1, "a GPU share is held on exactly one GPU");
            gpu_milli as u16
        } else {
            assert_eq!(
                set.len() as u64,
                gpu_milli / GPU_MILLI,
                "whole GPUs are held one per GPU"
            );
            GPU_MILLI as u16
        }
    }

    /// Takes a demand of `gpu_milli` from the GPUs of `set` (panics if it does not fit: the caller
    /// checked).
    pub fn take(&mut self, set: GpuSet, gpu_milli: u64) {
        if gpu_milli == 0 {
            return;
        }
        let each = Self::per_gpu(set, gpu_milli);
        for g in set.indices() {
            assert!(g < self.count() && self.free[g] >= each, "GPU {g} is full");
            self.free[g] -= each;
        }
    }

    /// Returns a demand of `gpu_milli` to the GPUs of `set`.
    pub fn give(&mut self, set: GpuSet, gpu_milli: u64) {
        if gpu_milli == 0 {
            return;
        }
        let each = Self::per_gpu(set, gpu_milli);
        for g in set.indices() {
            assert!(
                u64::from(self.free[g]) + u64::from(each) <= GPU_MILLI,
                "GPU {g} released more than allocated"
            );
            self.free[g] += each;
        }
    }

    /// These slots after taking `gpu_milli` from `set` (for scoring a choice before making it).
    pub fn after(&self, set: GpuSet, gpu_milli: u64) -> GpuSlots {
        let mut s = *self;
        s.take(set, gpu_milli);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{below, stream};

    #[test]
    fn a_share_goes_on_the_tightest_gpu_and_whole_gpus_on_idle_ones() {
        let mut s = GpuSlots::new(4);
        s.take(GpuSet(0b0001), 600); // GPU 0: 400 free
        s.take(GpuSet(0b0010), 300); // GPU 1: 700 free
        assert_eq!(s.choose(350), Some(GpuSet(0b0001)));
        assert_eq!(s.choose(500), Some(GpuSet(0b0010)));
        assert_eq!(s.choose(800), Some(GpuSet(0b0100)));
        assert_eq!(s.choose(2000), Some(GpuSet(0b1100)));
        assert_eq!(s.choose(3000), None);
        assert_eq!(s.placeable(), 2000);
    }

    /// Random shares and whole GPUs taken and given back: no GPU ever holds more than one GPU, every
    /// share sits on one GPU, `placeable` agrees with `choose`, and everything returns to idle.
    #[test]
    fn random_shares_never_exceed_or_split_a_gpu() {
        let mut rng = stream(7, "gpu-slots");
        let mut s = GpuSlots::new(8);
        let mut held: Vec<(GpuSet, u64)> = Vec::new();
        for _ in 0..20_000 {
            if held.is_empty() || below(&mut rng, 3) > 0 {
                let d = match below(&mut rng, 3) {
                    0 => (below(&mut rng, 8) + 1) * GPU_MILLI,
                    _ => below(&mut rng, 999) + 1,
                };
                let fits = s.choose(d);
                assert_eq!(fits.is_some(), d <= s.placeable(), "demand {d} in {s:?}");
                if let Some(set) = fits {
                    if d < GPU_MILLI {
                        assert_eq!(set.len(), 1);
                    }
                    s.take(set, d);
                    held.push((set, d));
                }
            } else {
                let i = below(&mut rng, held.len() as u64) as usize;
                let (set, d) = held.swap_remove(i);
                s.give(set, d);
            }
            for g in 0..8 {
                let on_g: u64 = held
                    .iter()
                    .filter(|(set, _)| set.0 & (1 << g) != 0)
                    .map(|&(_, d)| d.min(GPU_MILLI))
                    .sum();
                assert!(on_g <= GPU_MILLI);
                assert_eq!(u64::from(s.free()[g]), GPU_MILLI - on_g);
            }
        }
        for (set, d) in held.drain(..) {
            s.give(set, d);
        }
        assert_eq!(s, GpuSlots::new(8));
    }
}
