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

#[test]
fn draws_example() {
    let dir = copy_fixture("results-example");
    let files = plot_dir(dir.path()).unwrap();
    let keep = Path::new("/tmp/plots-out");
    let _ = std::fs::create_dir_all(keep);
    for f in &files {
        std::fs::copy(f, keep.join(f.file_name().unwrap())).unwrap();
    }
    let dir = copy_fixture("results-failover");
    for f in plot_dir(dir.path()).unwrap() {
        std::fs::copy(
            &f,
            keep.join(format!("fo_{}", f.file_name().unwrap().to_string_lossy())),
        )
        .unwrap();
    }
}
