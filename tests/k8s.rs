//! deploy/k8s's Job manifests against the Kubernetes API schema, offline: `kubernetes-validate`
//! (PyPI, pinned in deploy/k8s/requirements.txt, installed by `.ci/run` into `.venv-k8s`) checks
//! them with `--strict` (unknown fields are errors) against the schema of Kubernetes 1.37 that it
//! bundles. Two broken copies must be refused, so a validator that accepts anything fails the test.
//! The sweep Job's `completions`, `parallelism` and `SHARDS`, and the merge Job's `SHARDS`, must agree.
//!
//! No cluster is involved: this checks the manifests' shape, not that a cluster runs them (that
//! path is what deploy/shard-entry.sh's tests and tests/slurm.rs cover for Slurm).
//! Skips, saying so, where `.venv-k8s` has not been created.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn validator() -> Option<PathBuf> {
    let path = root().join(".venv-k8s/bin/kubernetes-validate");
    path.exists().then_some(path)
}

fn validate(bin: &Path, files: &[&Path]) -> Output {
    Command::new(bin)
        .args(["--strict", "--kubernetes-version", "1.37.0"])
        .args(files)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A value read from a manifest with the validator's own YAML parser (PyYAML, in the same venv).
fn field(file: &Path, expr: &str) -> String {
    let python = root().join(".venv-k8s/bin/python");
    let o = Command::new(python)
        .arg("-c")
        .arg(format!(
            "import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); print({expr})"
        ))
        .arg(file)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

#[test]
fn the_indexed_job_manifests_validate_against_the_kubernetes_schema() {
    let Some(bin) = validator() else {
        eprintln!(
            "note: skipping the Kubernetes schema test: no .venv-k8s (python3 -m venv .venv-k8s && .venv-k8s/bin/pip install -r deploy/k8s/requirements.txt; .ci/run does this)"
        );
        return;
    };
    let sweep = root().join("deploy/k8s/sweep-job.yaml");
    let merge = root().join("deploy/k8s/merge-job.yaml");
    let o = validate(&bin, &[&sweep, &merge]);
    assert!(o.status.success(), "{}", text(&o));
    let out = text(&o);
    assert!(
        out.contains("job/simctl-sweep") && out.contains("job/simctl-merge"),
        "both Jobs were validated: {out}"
    );

    // The validator does refuse what the schema forbids: a wrong type and an unknown field.
    let tmp = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(&sweep).unwrap();
    for (name, from, to, expect) in [
        (
            "type",
            "completions: 8",
            "completions: \"eight\"",
            "is not of type 'integer'",
        ),
        (
            "unknown",
            "completionMode: Indexed",
            "completionMode: Indexed\n  completionMod: Indexed",
            "'completionMod' was unexpected",
        ),
    ] {
        assert!(original.contains(from), "sweep-job.yaml has no {from:?}");
        let broken = tmp.path().join(format!("{name}.yaml"));
        std::fs::write(&broken, original.replacen(from, to, 1)).unwrap();
        let o = validate(&bin, &[&broken]);
        assert!(!o.status.success(), "{name}: accepted: {}", text(&o));
        assert!(text(&o).contains(expect), "{name}: {}", text(&o));
    }

    // One shard per index, all running at once, and both Jobs agree on the count.
    let shards = |file: &Path| {
        field(
            file,
            "[e['value'] for e in d['spec']['template']['spec']['containers'][0]['env'] if e['name'] == 'SHARDS'][0]",
        )
    };
    let completions = field(&sweep, "d['spec']['completions']");
    assert_eq!(field(&sweep, "d['spec']['completionMode']"), "Indexed");
    assert_eq!(field(&sweep, "d['spec']['parallelism']"), completions);
    assert_eq!(shards(&sweep), completions);
    assert_eq!(shards(&merge), completions);
}
