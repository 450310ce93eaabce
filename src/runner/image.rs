//! The runner's image: the static `simctl` alone in a `FROM scratch` image, tagged
//! `simctl-burn:<content hash>` and labelled `simctl.image=true`. Nothing is pulled (no registry
//! is reachable): the Dockerfile has no `# syntax=` line and the legacy builder is used
//! (`DOCKER_BUILDKIT=0`; BuildKit needs the buildx plugin and would try to pull its frontend).
//! The tag is a hash of the binary, so an unchanged binary reuses the image.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::clean::LABEL_IMAGE;
use super::docker::DockerCli;
use super::error::RuntimeError;

/// The repository part of the image's tag.
pub const IMAGE_REPO: &str = "simctl-burn";

/// Where the binary lives inside the image (its entrypoint).
pub const IMAGE_ENTRYPOINT: &str = "/simctl";

/// The image that [`ensure_image`] found or built.
#[derive(Debug, Clone)]
pub struct BurnImage {
    /// `simctl-burn:<16 hex digits>`.
    pub tag: String,
    /// Whether this call built it (false: reused).
    pub built: bool,
    /// Seconds the `docker build` took (0 when reused).
    pub build_secs: f64,
    /// The image's size in bytes, as the engine reports it.
    pub size_bytes: u64,
}

/// FNV-1a, 64 bits: a stable content hash with no dependency (a tag, not a security check).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    })
}

/// The image's tag for a binary with these bytes.
pub fn image_tag(binary: &[u8]) -> String {
    format!("{IMAGE_REPO}:{:016x}", fnv1a64(binary))
}

/// The Dockerfile of the image.
pub fn dockerfile() -> String {
    format!(
        "FROM scratch\nCOPY simctl {IMAGE_ENTRYPOINT}\nLABEL {LABEL_IMAGE}=true\nENTRYPOINT [\"{IMAGE_ENTRYPOINT}\"]\n"
    )
}

/// Makes sure the engine has the image of the static binary at `binary`, building it once.
pub fn ensure_image(docker: &DockerCli, binary: &Path) -> Result<BurnImage, RuntimeError> {
    let bytes = std::fs::read(binary)
        .map_err(|e| RuntimeError::io(format!("cannot read {}", binary.display()), e))?;
    let tag = image_tag(&bytes);
    let (built, build_secs) = if docker.image_exists(&tag) {
        (false, 0.0)
    } else {
        let t0 = Instant::now();
        build(&tag, &bytes)?;
        let secs = t0.elapsed().as_secs_f64();
        prune_older(docker, &tag);
        (true, secs)
    };
    let size = docker.run(&["image", "inspect", "--format", "{{.Size}}", &tag])?;
    let size_bytes = size.trim().parse().map_err(|_| RuntimeError::Parse {
        command: "image inspect".into(),
        detail: format!("size \"{}\" is not a number", size.trim()),
    })?;
    Ok(BurnImage {
        tag,
        built,
        build_secs,
        size_bytes,
    })
}

/// Removes the other `simctl-burn` images (older binaries), so that rebuilding after every code
/// change does not pile images up. An image still used by a container stays (plain `rmi`, no
/// force), and so does any image without the `simctl.image=true` label.
fn prune_older(docker: &DockerCli, keep: &str) {
    let Ok(out) = docker.run(&[
        "images",
        "--filter",
        &format!("label={LABEL_IMAGE}=true"),
        "--filter",
        &format!("reference={IMAGE_REPO}"),
        "--format",
        "{{.Repository}}:{{.Tag}}",
    ]) else {
        return;
    };
    for tag in out.lines().map(str::trim) {
        if tag != keep && tag.starts_with(&format!("{IMAGE_REPO}:")) {
            let _ = docker.run(&["rmi", tag]);
        }
    }
}

/// A build context in the system's temporary directory, removed on drop.
struct Context(PathBuf);

impl Drop for Context {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn build(tag: &str, binary: &[u8]) -> Result<(), RuntimeError> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let ctx =
        Context(std::env::temp_dir().join(format!("simctl-image-{}-{nanos}", std::process::id())));
    let io = |what: &str, e| RuntimeError::io(format!("{what} in {}", ctx.0.display()), e);
    std::fs::create_dir(&ctx.0).map_err(|e| io("cannot create the build context", e))?;
    std::fs::write(ctx.0.join("Dockerfile"), dockerfile()).map_err(|e| io("cannot write", e))?;
    let bin = ctx.0.join("simctl");
    std::fs::write(&bin, binary).map_err(|e| io("cannot write", e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| io("cannot chmod", e))?;
    }
    let out = Command::new("docker")
        .args(["build", "--quiet", "--tag", tag])
        .arg(&ctx.0)
        .env("DOCKER_BUILDKIT", "0")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| RuntimeError::io("cannot run `docker build`", e))?;
    if !out.status.success() {
        return Err(RuntimeError::Command {
            command: "build".into(),
            status: out.status.code().unwrap_or(-1),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_is_a_stable_content_hash() {
        // FNV-1a 64 reference values: "" and "a".
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(image_tag(b"a"), "simctl-burn:af63dc4c8601ec8c");
        assert_ne!(image_tag(b"a"), image_tag(b"b"));
    }

    #[test]
    fn dockerfile_pulls_nothing_and_labels_the_image() {
        let d = dockerfile();
        assert!(d.starts_with("FROM scratch\n"), "{d}");
        assert!(!d.contains("# syntax"), "a syntax line makes BuildKit pull");
        assert!(d.contains("LABEL simctl.image=true"));
        assert!(d.contains("ENTRYPOINT [\"/simctl\"]"));
    }
}
