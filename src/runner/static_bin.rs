//! The statically linked `simctl` that goes into the runner's `FROM scratch` image. A `scratch`
//! image has no C library, so the binary must not need a dynamic loader: either the running
//! `simctl` is already static, or it is built from this source tree with
//! `RUSTFLAGS='-C target-feature=+crt-static' cargo build --profile static --target
//! x86_64-unknown-linux-gnu` into `target/static/` (a target directory of its own, so the normal
//! build is never invalidated; `--target` keeps the flag off build scripts and proc-macros).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::error::RuntimeError;

/// The target triple of the static build.
pub const STATIC_TARGET: &str = "x86_64-unknown-linux-gnu";

/// Whether `elf` is an ELF executable without a program interpreter (`PT_INTERP`), that is,
/// one that runs without a dynamic loader. `None` if it is not a 64-bit little-endian ELF file.
pub fn is_static_elf(elf: &[u8]) -> Option<bool> {
    const PT_INTERP: u32 = 3;
    if elf.get(..6)? != b"\x7fELF\x02\x01" {
        return None;
    }
    let u16_at = |o: usize| Some(u16::from_le_bytes(elf.get(o..o + 2)?.try_into().ok()?));
    let u32_at = |o: usize| Some(u32::from_le_bytes(elf.get(o..o + 4)?.try_into().ok()?));
    let u64_at = |o: usize| Some(u64::from_le_bytes(elf.get(o..o + 8)?.try_into().ok()?));
    let phoff = u64_at(0x20)? as usize;
    let phentsize = u16_at(0x36)? as usize;
    let phnum = u16_at(0x38)? as usize;
    for i in 0..phnum {
        if u32_at(phoff + i * phentsize)? == PT_INTERP {
            return Some(false);
        }
    }
    Some(true)
}

/// Where the static build of the source tree at `manifest_dir` puts the binary.
pub fn static_build_path(manifest_dir: &Path) -> PathBuf {
    manifest_dir
        .join("target/static")
        .join(STATIC_TARGET)
        .join("static/simctl")
}

/// Builds the static binary from the source tree at `manifest_dir` with `cargo` (the one that
/// runs this test or build, else the one on `PATH`) and returns its path. Cargo's own
/// up-to-date check makes a second call cheap.
pub fn build_static(manifest_dir: &Path) -> Result<PathBuf, RuntimeError> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(&cargo)
        .current_dir(manifest_dir)
        .args(["build", "--quiet", "--profile", "static", "--bin", "simctl"])
        .args(["--target", STATIC_TARGET])
        .env("CARGO_TARGET_DIR", manifest_dir.join("target/static"))
        .env("RUSTFLAGS", "-C target-feature=+crt-static")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .status()
        .map_err(|e| RuntimeError::io(format!("cannot run `{cargo} build`"), e))?;
    if !status.success() {
        return Err(RuntimeError::Command {
            command: "(cargo) build --profile static".into(),
            status: status.code().unwrap_or(-1),
            stderr: "the static build failed (it needs the C library's static archive, libc.a, from libc6-dev or glibc-static)".into(),
        });
    }
    Ok(static_build_path(manifest_dir))
}

/// A statically linked `simctl`: the running executable if it is static, else a static build
/// of the source tree this binary was compiled from (when that tree is still there).
pub fn find_or_build() -> Result<PathBuf, RuntimeError> {
    let exe = std::env::current_exe().map_err(|e| RuntimeError::io("cannot locate simctl", e))?;
    let bytes = std::fs::read(&exe)
        .map_err(|e| RuntimeError::io(format!("cannot read {}", exe.display()), e))?;
    if is_static_elf(&bytes) == Some(true) && exe.file_name().is_some_and(|n| n == "simctl") {
        return Ok(exe);
    }
    let tree = Path::new(env!("CARGO_MANIFEST_DIR"));
    if tree.join("Cargo.toml").is_file() {
        eprintln!(
            "note: building a static simctl into {} (the first build takes minutes)",
            tree.join("target/static").display()
        );
        return build_static(tree);
    }
    Err(RuntimeError::InvalidSpec(format!(
        "{} is dynamically linked and its source tree is gone; build a static simctl with \
         RUSTFLAGS='-C target-feature=+crt-static' cargo build --release --target {STATIC_TARGET} \
         and run that one",
        exe.display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dynamic_executables_have_an_interpreter() {
        // The test binary itself is dynamically linked (the normal build).
        let me = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        assert_eq!(is_static_elf(&me), Some(false));
        assert_eq!(is_static_elf(b"#!/bin/sh\n"), None);
        assert_eq!(is_static_elf(b"\x7fELF\x02\x01"), None, "truncated header");
    }

    #[test]
    fn a_static_executable_is_recognised() {
        // tini-static ships with Debian's docker.io; skip where it is absent.
        let Ok(tini) = std::fs::read("/usr/bin/tini-static") else {
            eprintln!("note: /usr/bin/tini-static absent, static case not checked");
            return;
        };
        assert_eq!(is_static_elf(&tini), Some(true));
    }
}
