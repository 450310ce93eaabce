//! SHA-256 checksums of the trace files a run replays, for the report's provenance: which bytes
//! were replayed, so that two results directories can be told to come from the same trace (or
//! not). A file is hashed once per process (the runs of a sweep share it), again if its size or
//! modification time changes.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::SystemTime;

use sha2::{Digest, Sha256};

use super::spec::TraceSpec;

/// The SHA-256 of a file's bytes, as 64 lowercase hex digits (what `sha256sum` prints).
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// A file's identity for the memo: its path, size and modification time.
type Key = (PathBuf, u64, Option<SystemTime>);

/// [`sha256_file`], remembered for the life of the process while the file's size and
/// modification time stay the same.
pub fn sha256_file_cached(path: &Path) -> std::io::Result<String> {
    static MEMO: OnceLock<Mutex<HashMap<Key, String>>> = OnceLock::new();
    let meta = std::fs::metadata(path)?;
    let key = (path.to_path_buf(), meta.len(), meta.modified().ok());
    // Held while hashing: the runs of a sweep that start together wait for one hash, not
    // each compute their own.
    let mut memo = MEMO
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if let Some(hex) = memo.get(&key) {
        return Ok(hex.clone());
    }
    let hex = sha256_file(path)?;
    memo.insert(key, hex.clone());
    Ok(hex)
}

/// The checksums of a replay's files by role: `trace`, and `nodes` when a node file is read.
/// Keyed by role, not path, so that they do not depend on where the files sit on a machine.
pub fn trace_checksums(spec: &TraceSpec) -> std::io::Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    out.insert("trace".to_string(), sha256_file_cached(&spec.path)?);
    if let Some(nodes) = &spec.nodes {
        out.insert("nodes".to_string(), sha256_file_cached(nodes)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors_and_the_memo_follows_changes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t");
        std::fs::write(&p, b"").unwrap();
        // FIPS 180-2 test vectors.
        assert_eq!(
            sha256_file_cached(&p).unwrap(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        std::fs::write(&p, b"abc").unwrap();
        assert_eq!(
            sha256_file_cached(&p).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        // Larger than one read buffer.
        let big = vec![b'a'; 1_000_000];
        std::fs::write(&p, &big).unwrap();
        assert_eq!(
            sha256_file(&p).unwrap(),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        );
    }
}
