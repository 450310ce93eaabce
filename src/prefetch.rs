//! A hint to the processor to start loading memory that will be read soon.
//!
//! At the scale of a large cluster a simulation is bound by memory latency, not by instructions:
//! the record of a finishing task lies in a slot last touched when the task started, seconds of
//! simulated time and hundreds of thousands of events earlier, so the first read of it waits for
//! main memory. The engine knows which event comes next before it finishes the current one, so it
//! can ask for that record early and let the load overlap with the current event's work.
//!
//! A prefetch changes no value and cannot fault (a bad address is simply not loaded), so it has no
//! effect on any output. On targets without a prefetch instruction it does nothing.

/// Size of a cache line on the processors simctl targets.
const LINE: usize = 64;

/// Asks for every cache line of `value` to be brought into the cache. Returns at once.
#[inline]
pub fn prefetch<T>(value: &T) {
    let start = (value as *const T).cast::<u8>();
    let mut offset = 0;
    while offset < std::mem::size_of::<T>() {
        prefetch_line(start.wrapping_add(offset));
        offset += LINE;
    }
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse"))]
#[inline]
fn prefetch_line(address: *const u8) {
    use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
    // SAFETY: `prefetch` is a hint: it reads nothing the program can observe and never faults,
    // whatever the address (here it always points into a live value). The only requirement of
    // the intrinsic is SSE, which the cfg above guarantees (it is part of the x86-64 baseline).
    unsafe { _mm_prefetch::<_MM_HINT_T0>(address.cast::<i8>()) }
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse")))]
#[inline]
fn prefetch_line(_address: *const u8) {}
