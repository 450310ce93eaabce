//! The runner's error type: every failure names what was being done and what the engine said.

use thiserror::Error;

/// A failure talking to the container engine.
#[derive(Debug, Error)]
pub enum RuntimeError {
    /// `docker info` failed: no engine, no permission, or no `docker` CLI.
    #[error("the Docker engine is unreachable (`docker info` failed): {0}")]
    EngineUnreachable(String),
    /// The image named in a container spec is not in the local engine (nothing is ever pulled).
    #[error("image \"{0}\" is not present in the local Docker engine (simctl never pulls images; build or load it first)")]
    ImageMissing(String),
    /// A spec that simctl refuses to start (missing labels, bad limits, bad names).
    #[error("invalid container spec: {0}")]
    InvalidSpec(String),
    /// Some containers could not be removed (each named with the engine's message).
    #[error("cleanup incomplete: {0}")]
    Cleanup(String),
    /// A `docker` command exited non-zero.
    #[error("`docker {command}` failed (exit status {status}): {stderr}")]
    Command {
        /// The subcommand and its first arguments, for the message.
        command: String,
        /// The exit status, or -1 when killed by a signal.
        status: i32,
        /// What the command wrote to stderr, trimmed.
        stderr: String,
    },
    /// The output of a `docker` command could not be understood.
    #[error("unexpected output from `docker {command}`: {detail}")]
    Parse {
        /// The subcommand.
        command: String,
        /// What was wrong, with the offending text.
        detail: String,
    },
    /// An I/O error (spawning a process, a temporary file).
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl RuntimeError {
    /// Wraps an I/O error with what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        RuntimeError::Io {
            context: context.into(),
            source,
        }
    }
}
