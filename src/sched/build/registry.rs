//! The catalogue of named placements: one [`Entry`] per algorithm holding its scenario name, the
//! `[[scheduler]]` keys it accepts, how its [`PlacementSpec`] is made from them and which cluster
//! indexes it reads. The parser, the builder, [`PlacementSpec::index_needs`], error messages and the
//! docs test all read this table; nothing else lists the algorithms.
//!
//! [`PlacementSpec::entry`] maps every variant to its entry with an exhaustive match, so a new
//! variant without an entry does not compile; the tests check that every entry is in [`PLACEMENTS`]
//! and that its constructor gives back a spec of its own entry.

use toml::{Table, Value};

/// `docs/extending.md`, whose Rust examples run as doc-tests (the placement example is compiled and
/// run; examples of lines inside the crate are marked `ignore`).
#[cfg(doctest)]
#[doc = include_str!("../../../docs/extending.md")]
pub struct ExtendingDocs;

use crate::cluster::IndexNeeds;
use crate::config::field::{as_f64, as_u64, join, opt, FieldError};
use crate::sched::build::{PlacementSpec, DEFAULT_KS_THRESHOLD};
use crate::sched::scoring::DEFAULT_EPVM_BASE;

/// A `[[scheduler]]` key that refines a named placement (`d = 3` beside `placement = "power-of-d"`).
#[derive(Debug)]
pub struct Param {
    /// The key.
    pub key: &'static str,
    /// What it means and its default, for the docs and error messages.
    pub help: &'static str,
}

/// Power-of-d's sample count.
pub const D: Param = Param {
    key: "d",
    help: "nodes sampled per decision, at least 1 (default 2)",
};
/// Kumar-Sharma's overload threshold.
pub const THRESHOLD: Param = Param {
    key: "threshold",
    help: "overload threshold as a fraction over the mean load, >= 0 (default 0.2)",
};
/// E-PVM's cost base.
pub const BASE: Param = Param {
    key: "base",
    help: "base of the exponential cost, 2 to 1000000 (default 100)",
};

/// Candidate sampling, accepted by every score-based, GPU, completion-time and batch placement. The
/// parser reads it for all of them alike and wraps the spec in [`PlacementSpec::Sampled`].
pub const SAMPLE: Param = Param {
    key: "sample",
    help: "nodes looked at per decision, a whole number >= 1 (default: every node)",
};

/// One named placement: everything the rest of the code needs to know about it.
#[derive(Debug)]
pub struct Entry {
    /// The name in `placement = "..."`.
    pub name: &'static str,
    /// The scheduler-table keys it accepts; any other placement parameter is an error.
    pub params: &'static [Param],
    /// The cluster indexes it reads (a run maintains only these).
    pub needs: IndexNeeds,
    /// Its spec from its parameters (absent ones take their defaults).
    pub spec: fn(&Args<'_>) -> Result<PlacementSpec, FieldError>,
}

/// An entry whose spec takes no parameter.
const fn plain(
    name: &'static str,
    needs: IndexNeeds,
    spec: fn(&Args<'_>) -> Result<PlacementSpec, FieldError>,
) -> Entry {
    Entry {
        name,
        params: &[],
        needs,
        spec,
    }
}

/// An entry whose spec takes no parameter but `sample`.
const fn sampled(
    name: &'static str,
    needs: IndexNeeds,
    spec: fn(&Args<'_>) -> Result<PlacementSpec, FieldError>,
) -> Entry {
    Entry {
        params: &[SAMPLE],
        ..plain(name, needs, spec)
    }
}

const NONE: IndexNeeds = IndexNeeds::NONE;
const FREE_CPU: IndexNeeds = IndexNeeds {
    free_cpu: true,
    ..IndexNeeds::NONE
};
const FRACTION: IndexNeeds = IndexNeeds {
    fraction: true,
    ..IndexNeeds::NONE
};
const FRACTION_HEAP: IndexNeeds = IndexNeeds {
    fraction_heap: true,
    ..IndexNeeds::NONE
};
const LOAD: IndexNeeds = IndexNeeds {
    load: true,
    ..IndexNeeds::NONE
};
const GROUP_LOAD: IndexNeeds = IndexNeeds {
    group_load: true,
    ..IndexNeeds::NONE
};

/// First fit.
pub static FIRST_FIT: Entry = plain("first-fit", NONE, |_| Ok(PlacementSpec::FirstFit));
/// Best fit.
pub static BEST_FIT: Entry = plain("best-fit", FREE_CPU, |_| Ok(PlacementSpec::BestFit));
/// Worst fit.
pub static WORST_FIT: Entry = plain("worst-fit", FREE_CPU, |_| Ok(PlacementSpec::WorstFit));
/// Random.
pub static RANDOM: Entry = plain("random", NONE, |_| Ok(PlacementSpec::Random));
/// Round robin.
pub static ROUND_ROBIN: Entry = plain("round-robin", NONE, |_| Ok(PlacementSpec::RoundRobin));
/// Weighted round robin.
pub static WEIGHTED_ROUND_ROBIN: Entry = plain("weighted-round-robin", NONE, |_| {
    Ok(PlacementSpec::WeightedRoundRobin)
});
/// Stride scheduling: weighted round robin in O(log n).
pub static STRIDE: Entry = plain("stride", NONE, |_| Ok(PlacementSpec::Stride));
/// Least allocated.
pub static LEAST_ALLOCATED: Entry = sampled("least-allocated", FRACTION_HEAP, |_| {
    Ok(PlacementSpec::LeastAllocated)
});
/// Most allocated.
pub static MOST_ALLOCATED: Entry = sampled("most-allocated", FRACTION, |_| {
    Ok(PlacementSpec::MostAllocated)
});
/// Balanced allocation.
pub static BALANCED_ALLOCATION: Entry = sampled("balanced-allocation", NONE, |_| {
    Ok(PlacementSpec::BalancedAllocation)
});
/// Dot product (Tetris).
pub static DOT_PRODUCT: Entry = sampled("dot-product", NONE, |_| Ok(PlacementSpec::DotProduct));
/// Power of d choices.
pub static POWER_OF_D: Entry = Entry {
    name: "power-of-d",
    params: &[D],
    needs: NONE,
    spec: |a| {
        Ok(PlacementSpec::PowerOfD {
            d: a.whole(&D, 1, u64::from(u32::MAX))?.unwrap_or(2),
        })
    },
};
/// Join the shortest queue.
pub static JSQ: Entry = plain("jsq", LOAD, |_| Ok(PlacementSpec::Jsq));
/// Least connections.
pub static LEAST_CONNECTIONS: Entry = plain("least-connections", GROUP_LOAD, |_| {
    Ok(PlacementSpec::LeastConnections)
});
/// Minimum completion time.
pub static MCT: Entry = sampled("mct", NONE, |_| Ok(PlacementSpec::Mct));
/// E-PVM.
pub static E_PVM: Entry = Entry {
    name: "e-pvm",
    params: &[BASE, SAMPLE],
    needs: NONE,
    spec: |a| {
        Ok(PlacementSpec::EPvm {
            base: a.whole(&BASE, 2, 1_000_000)?.unwrap_or(DEFAULT_EPVM_BASE),
        })
    },
};
/// Kumar-Sharma.
pub static KUMAR_SHARMA: Entry = Entry {
    name: "kumar-sharma",
    params: &[THRESHOLD, SAMPLE],
    needs: NONE,
    spec: |a| {
        Ok(PlacementSpec::KumarSharma {
            threshold: a.non_negative(&THRESHOLD)?.unwrap_or(DEFAULT_KS_THRESHOLD),
        })
    },
};
/// GPU best fit.
pub static GPU_BEST_FIT: Entry = sampled("gpu-best-fit", NONE, |_| Ok(PlacementSpec::GpuBestFit));
/// GPU worst fit.
pub static GPU_WORST_FIT: Entry =
    sampled("gpu-worst-fit", NONE, |_| Ok(PlacementSpec::GpuWorstFit));
/// Dot product over CPU, memory and GPU.
pub static GPU_DOT_PRODUCT: Entry = sampled("gpu-dot-product", NONE, |_| {
    Ok(PlacementSpec::GpuDotProduct)
});
/// Fragmentation gradient descent.
pub static FGD: Entry = sampled("fgd", NONE, |_| Ok(PlacementSpec::Fgd));
/// Min-Min.
pub static MIN_MIN: Entry = sampled("min-min", NONE, |_| Ok(PlacementSpec::MinMin));
/// Max-Min.
pub static MAX_MIN: Entry = sampled("max-min", NONE, |_| Ok(PlacementSpec::MaxMin));
/// Sufferage.
pub static SUFFERAGE: Entry = sampled("sufferage", NONE, |_| Ok(PlacementSpec::Sufferage));

/// Every named placement, in catalogue order (the order of `docs/algorithms.md` and of error
/// messages listing the names).
pub static PLACEMENTS: [&Entry; 24] = [
    &FIRST_FIT,
    &BEST_FIT,
    &WORST_FIT,
    &RANDOM,
    &ROUND_ROBIN,
    &WEIGHTED_ROUND_ROBIN,
    &STRIDE,
    &LEAST_ALLOCATED,
    &MOST_ALLOCATED,
    &BALANCED_ALLOCATION,
    &DOT_PRODUCT,
    &POWER_OF_D,
    &JSQ,
    &LEAST_CONNECTIONS,
    &MCT,
    &E_PVM,
    &KUMAR_SHARMA,
    &GPU_BEST_FIT,
    &GPU_WORST_FIT,
    &GPU_DOT_PRODUCT,
    &FGD,
    &MIN_MIN,
    &MAX_MIN,
    &SUFFERAGE,
];

/// The entry named `name`.
pub fn lookup(name: &str) -> Option<&'static Entry> {
    PLACEMENTS.iter().copied().find(|e| e.name == name)
}

/// Every parameter key any named placement accepts (each once, in catalogue order).
pub fn param_keys() -> Vec<&'static str> {
    let mut keys: Vec<&'static str> = Vec::new();
    for p in PLACEMENTS.iter().flat_map(|e| e.params) {
        if !keys.contains(&p.key) {
            keys.push(p.key);
        }
    }
    keys
}

/// The names of the placements that accept `key`, for "applies only to" messages.
pub fn takers(key: &str) -> Vec<&'static str> {
    PLACEMENTS
        .iter()
        .filter(|e| e.params.iter().any(|p| p.key == key))
        .map(|e| e.name)
        .collect()
}

/// The parameters of one `[[scheduler]]` table, as its entry's constructor reads them.
pub struct Args<'a> {
    table: &'a Table,
    prefix: &'a str,
}

impl<'a> Args<'a> {
    /// The parameters in `table`, whose dotted path is `prefix` (e.g. `scheduler[1]`).
    pub fn new(table: &'a Table, prefix: &'a str) -> Args<'a> {
        Args { table, prefix }
    }

    /// No parameters at all (every default).
    pub fn none() -> Args<'static> {
        static EMPTY: std::sync::OnceLock<Table> = std::sync::OnceLock::new();
        Args {
            table: EMPTY.get_or_init(Table::new),
            prefix: "",
        }
    }

    /// A whole number in `[min, max]`, if given.
    pub fn whole(&self, p: &Param, min: u64, max: u64) -> Result<Option<u32>, FieldError> {
        let check = |v: &Value, key: &str| match as_u64(v, key)? {
            x if (min..=max).contains(&x) => Ok(x as u32),
            x if x < min && max >= u64::from(u32::MAX) => {
                Err(FieldError::new(key, format!("must be at least {min}")))
            }
            x => Err(FieldError::new(
                key,
                format!("must be between {min} and {max}, got {x}"),
            )),
        };
        opt(self.table, p.key, self.prefix, check)
    }

    /// A finite number >= 0, if given.
    pub fn non_negative(&self, p: &Param) -> Result<Option<f64>, FieldError> {
        let check = |v: &Value, key: &str| match as_f64(v, key)? {
            x if x.is_finite() && x >= 0.0 => Ok(x),
            x => Err(FieldError::new(
                key,
                format!("must be a non-negative fraction, got {x}"),
            )),
        };
        opt(self.table, p.key, self.prefix, check)
    }

    /// Fails if the table has a placement parameter that `entry` does not accept.
    pub fn check_accepted_by(&self, entry: &Entry) -> Result<(), FieldError> {
        for key in param_keys() {
            if self.table.contains_key(key) && !entry.params.iter().any(|p| p.key == key) {
                return Err(not_taken(self.prefix, key));
            }
        }
        Ok(())
    }
}

/// "applies only to placement = ..." for a parameter given where it does not apply.
pub fn not_taken(prefix: &str, key: &str) -> FieldError {
    let names: Vec<String> = takers(key).iter().map(|n| format!("\"{n}\"")).collect();
    FieldError::new(
        join(prefix, key),
        format!("applies only to placement = {}", names.join(" or ")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_builds_a_spec_that_maps_back_to_it() {
        // Guards the two halves of the registry against drifting apart: the table the parser reads
        // and the exhaustive `PlacementSpec::entry` the builder and index needs read.
        for entry in PLACEMENTS {
            let spec = (entry.spec)(&Args::none()).expect("defaults are valid");
            let back = spec.entry().expect("a named placement has an entry");
            assert!(
                std::ptr::eq(back, entry),
                "{} maps to {}",
                entry.name,
                back.name
            );
            assert!(std::ptr::eq(lookup(entry.name).unwrap(), entry));
        }
        let mut names: Vec<_> = PLACEMENTS.iter().map(|e| e.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), PLACEMENTS.len(), "a name is registered twice");
    }

    #[test]
    fn algorithms_doc_lists_every_placement_with_its_parameters() {
        let doc = include_str!("../../../docs/algorithms.md");
        for entry in PLACEMENTS {
            let row = doc
                .lines()
                .find(|l| l.contains(&format!("| `{}` |", entry.name)))
                .unwrap_or_else(|| panic!("docs/algorithms.md has no row for {}", entry.name));
            for p in entry.params {
                assert!(
                    row.contains(&format!("`{}`", p.key)),
                    "docs/algorithms.md: the {} row does not mention {}",
                    entry.name,
                    p.key
                );
            }
        }
    }

    #[test]
    fn a_parameter_given_to_another_placement_names_its_takers() {
        assert_eq!(takers("d"), ["power-of-d"]);
        assert_eq!(
            takers("sample"),
            [
                "least-allocated",
                "most-allocated",
                "balanced-allocation",
                "dot-product",
                "mct",
                "e-pvm",
                "kumar-sharma",
                "gpu-best-fit",
                "gpu-worst-fit",
                "gpu-dot-product",
                "fgd",
                "min-min",
                "max-min",
                "sufferage"
            ]
        );
        let e = not_taken("scheduler[2]", "threshold");
        assert_eq!(e.key, "scheduler[2].threshold");
        assert_eq!(e.message, "applies only to placement = \"kumar-sharma\"");
    }
}
