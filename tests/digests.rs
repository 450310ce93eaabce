//! Refactors preserve behaviour, provably: every bundled scenario (shortened where it is long) is run
//! through `simctl run`, and digests of its `summary.csv` (without the wall-clock column),
//! `quantiles.csv`, `tasks.csv` (and `schedulers.csv` where a scheduler architecture writes one)
//! must equal the ones pinned in `tests/digests/bundled.txt`.
//!
//! A change to a digest is a decision, not an accident: when a commit changes outputs on purpose,
//! rerun with `SIMCTL_BLESS=1 cargo test --release --test digests` to rewrite the file, and say in
//! the commit message which digests changed and why.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{bundled_scenarios, shortening, simctl};

/// The pinned digests, one line per (scenario, file): `name file digest`.
const PINNED: &str = "tests/digests/bundled.txt";

/// 64-bit FNV-1a: a stable digest that needs no dependency (collisions are irrelevant here: the
/// question is only whether bytes changed).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// summary.csv without its `wall_s` column, the one column that depends on the machine.
fn summary_without_wall(text: &str) -> String {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("summary header").split(',').collect();
    let wall = header
        .iter()
        .position(|c| *c == "wall_s")
        .expect("summary.csv has a wall_s column");
    let keep = |line: &str| -> String {
        // The scenario's own columns never contain commas in the bundled scenarios; a quoted
        // field would shift the column index, so refuse rather than digest the wrong column.
        assert!(!line.contains('"'), "quoted summary field: {line}");
        line.split(',')
            .enumerate()
            .filter(|(i, _)| *i != wall)
            .map(|(_, f)| f)
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut out = keep(&header.join(","));
    for line in lines {
        out.push('\n');
        out.push_str(&keep(line));
    }
    out
}

fn digests_of(file: &Path, out: &Path) -> Vec<(String, String, String)> {
    let name = file.file_stem().unwrap().to_string_lossy().to_string();
    let mut cmd = simctl();
    cmd.args(["run", "--quiet", "--jobs", "2", "--out"])
        .arg(out)
        .arg(file)
        .args([
            "--set",
            "output.tasks_csv=true",
            "--set",
            "output.plots=false",
        ]);
    for o in shortening(&name) {
        cmd.args(["--set", o]);
    }
    let o = cmd.output().expect("simctl runs");
    assert!(
        o.status.success(),
        "{}: {}",
        file.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    // The results directory is named after [scenario] name, which may differ from the file name.
    let dir = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.join("summary.csv").exists())
        .expect("a results directory");
    let read = |f: &str| std::fs::read(dir.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
    let summary = summary_without_wall(&String::from_utf8(read("summary.csv")).unwrap());
    let mut files = vec![
        ("summary.csv", fnv1a(summary.as_bytes())),
        ("quantiles.csv", fnv1a(&read("quantiles.csv"))),
        ("tasks.csv", fnv1a(&read("tasks.csv"))),
    ];
    // Scenarios with a scheduler architecture also pin their per-scheduler results.
    if dir.join("schedulers.csv").exists() {
        files.push(("schedulers.csv", fnv1a(&read("schedulers.csv"))));
    }
    files
        .into_iter()
        .map(|(f, d)| (name.clone(), f.to_string(), format!("{d:016x}")))
        .collect()
}

#[test]
fn bundled_scenario_outputs_match_their_pinned_digests() {
    let tmp = tempfile::tempdir().unwrap();
    let mut now = Vec::new();
    for (i, file) in bundled_scenarios().iter().enumerate() {
        now.extend(digests_of(file, &tmp.path().join(i.to_string())));
    }
    let rendered: String = now
        .iter()
        .map(|(n, f, d)| format!("{n} {f} {d}\n"))
        .collect();
    if std::env::var_os("SIMCTL_BLESS").is_some() {
        std::fs::create_dir_all("tests/digests").unwrap();
        std::fs::write(PINNED, &rendered).unwrap();
        eprintln!("wrote {PINNED}");
        return;
    }
    let pinned_text = std::fs::read_to_string(PINNED).expect("tests/digests/bundled.txt exists");
    let pinned: BTreeMap<(String, String), String> = pinned_text
        .lines()
        .map(|l| {
            let mut it = l.split_whitespace();
            let (n, f, d) = (it.next().unwrap(), it.next().unwrap(), it.next().unwrap());
            ((n.to_string(), f.to_string()), d.to_string())
        })
        .collect();
    let mut differences = Vec::new();
    for (n, f, d) in &now {
        match pinned.get(&(n.clone(), f.clone())) {
            Some(p) if p == d => {}
            Some(p) => differences.push(format!("{n} {f}: pinned {p}, now {d}")),
            None => differences.push(format!("{n} {f}: not pinned (a new scenario?), now {d}")),
        }
    }
    for (n, f) in pinned.keys() {
        if !now.iter().any(|(m, g, _)| m == n && g == f) {
            differences.push(format!("{n} {f}: pinned but no longer produced"));
        }
    }
    assert!(
        differences.is_empty(),
        "outputs changed; if on purpose, rerun with SIMCTL_BLESS=1 and explain the change in the commit:\n{}",
        differences.join("\n")
    );
}

#[test]
fn summary_digest_ignores_only_the_wall_clock_column() {
    let a = "scenario,wall_s,mean_wait_s\nx,0.25,1.5\n";
    let b = "scenario,wall_s,mean_wait_s\nx,9.75,1.5\n";
    let c = "scenario,wall_s,mean_wait_s\nx,0.25,1.6\n";
    assert_eq!(summary_without_wall(a), summary_without_wall(b));
    assert_ne!(summary_without_wall(a), summary_without_wall(c));
}
