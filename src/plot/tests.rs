//! Tests of `plot_dir` against the fixture results dirs.

use std::path::{Path, PathBuf};

use super::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Copies a fixture into a temp dir so the test writes its plots there.
fn copy_fixture(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(fixture(name)).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    dir
}

/// Width and height from a PNG's IHDR chunk, after checking the 8-byte signature.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR", "first chunk is IHDR");
    let be = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    (be(16), be(20))
}

fn names(files: &[PathBuf]) -> Vec<String> {
    files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn example_dir_gives_every_plot_as_valid_png_and_svg() {
    let dir = copy_fixture("results-example");
    let files = plot_dir(dir.path()).unwrap();
    let stems = [
        "cdf_response",
        "summary_bars",
        "sweep_workload_arrival_rate",
        "timeseries",
    ];
    let want: Vec<String> = stems
        .iter()
        .flat_map(|s| [format!("{s}.png"), format!("{s}.svg")])
        .collect();
    assert_eq!(names(&files), want);
    for f in &files {
        assert!(f.starts_with(dir.path().join(PLOTS_DIR)));
        let bytes = std::fs::read(f).unwrap();
        if f.extension().unwrap() == "png" {
            let (w, h) = png_size(&bytes);
            assert!(
                (800..=3000).contains(&w) && (600..=3000).contains(&h),
                "{f:?}: {w}x{h}"
            );
        } else {
            let text = String::from_utf8(bytes).unwrap();
            assert!(
                text.starts_with("<svg") || text.starts_with("<?xml"),
                "{f:?}"
            );
            assert!(
                text.trim_end().ends_with("</svg>") && text.contains("<text"),
                "{f:?}"
            );
        }
    }
    // Nothing but the plots in the plots dir (no temporary files left behind).
    assert_eq!(
        std::fs::read_dir(dir.path().join(PLOTS_DIR))
            .unwrap()
            .count(),
        want.len()
    );
}

#[test]
fn plots_are_byte_identical_run_to_run() {
    let a = copy_fixture("results-example");
    let b = copy_fixture("results-example");
    let (fa, fb) = (plot_dir(a.path()).unwrap(), plot_dir(b.path()).unwrap());
    let again = plot_dir(a.path()).unwrap();
    for ((x, y), z) in fa.iter().zip(&fb).zip(&again) {
        let bytes = std::fs::read(x).unwrap();
        assert_eq!(
            bytes,
            std::fs::read(y).unwrap(),
            "{x:?} differs between dirs"
        );
        assert_eq!(
            bytes,
            std::fs::read(z).unwrap(),
            "{x:?} differs when redrawn"
        );
    }
}

#[test]
fn failover_columns_add_the_failover_plot_and_missing_timeseries_is_skipped() {
    let dir = copy_fixture("results-failover");
    assert!(!dir.path().join("timeseries.csv").exists());
    let files = names(&plot_dir(dir.path()).unwrap());
    assert!(
        files.contains(&"failover.png".to_string()) && files.contains(&"failover.svg".to_string())
    );
    assert!(files.contains(&"sweep_failover_policy.png".to_string()));
    assert!(
        !files.iter().any(|f| f.starts_with("timeseries")),
        "{files:?}"
    );
}

#[test]
fn summary_alone_is_enough() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture("results-example/summary.csv"),
        dir.path().join("summary.csv"),
    )
    .unwrap();
    let files = names(&plot_dir(dir.path()).unwrap());
    assert_eq!(files[0], "summary_bars.png");
    assert!(
        !files
            .iter()
            .any(|f| f.starts_with("cdf") || f.starts_with("timeseries")),
        "{files:?}"
    );
}

#[test]
fn malformed_optional_file_is_an_error_naming_file_and_line() {
    let dir = copy_fixture("results-example");
    let path = dir.path().join("quantiles.csv");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("least-allocated,0,0,response_s,0.5,fast\n");
    std::fs::write(&path, &text).unwrap();
    let line = text.lines().count();
    let err = plot_dir(dir.path()).unwrap_err().to_string();
    assert!(
        err.contains(&format!("quantiles.csv:{line}:")) && err.contains("`value`"),
        "{err}"
    );

    let dir = copy_fixture("results-example");
    let path = dir.path().join("timeseries.csv");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replacen("\n", "\nx,0,0\n", 1);
    std::fs::write(&path, text).unwrap();
    let err = plot_dir(dir.path()).unwrap_err().to_string();
    assert!(
        err.contains("timeseries.csv:2:") && err.contains("expected 10 fields"),
        "{err}"
    );
}

#[test]
fn missing_summary_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = plot_dir(dir.path()).unwrap_err().to_string();
    assert!(err.contains("summary.csv"), "{err}");
}

/// Eight schedulers with long names, one without any completed task (empty response columns), and
/// no sweep: the legend wraps, nothing panics, every plot is still drawn.
#[test]
fn many_schedulers_and_empty_metrics_still_plot() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("results-example/summary.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().replace(",workload.arrival.rate", "");
    let mut out = format!("{header}\n");
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    for s in 0..8 {
        for rep in 0..2 {
            let mut r: Vec<String> = row.iter().map(|f| f.to_string()).collect();
            r[1] = format!("a-rather-long-scheduler-name-{s}");
            r[3] = rep.to_string();
            r.remove(5);
            if s == 7 {
                r[11..20].iter_mut().for_each(String::clear);
            }
            out.push_str(&format!("{}\n", r.join(",")));
        }
    }
    std::fs::write(dir.path().join("summary.csv"), out).unwrap();
    let files = names(&plot_dir(dir.path()).unwrap());
    assert_eq!(files, vec!["summary_bars.png", "summary_bars.svg"]);
    let keep = Path::new("/tmp/plots-out");
    if keep.is_dir() {
        std::fs::copy(
            dir.path().join("plots/summary_bars.png"),
            keep.join("many_bars.png"),
        )
        .unwrap();
    }
}
