//! Scenario files: parsing TOML into typed, validated configuration, and expanding sweeps.
//!
//! The document is parsed once (syntax errors carry TOML's line and column), validated as written
//! (so errors in the file point at the file), and then re-validated for every `[sweep]` point with
//! that point's values substituted.

pub mod architecture;
pub mod budget;
pub mod cost;
pub mod docker;
pub mod field;
pub mod offered;
pub mod power;
pub mod quantity;
pub mod scenario;
pub mod sweep;
pub mod synthetic;
pub mod trace_source;

use std::path::{Path, PathBuf};

use toml::{Table, Value};

pub use field::FieldError;
pub use scenario::{OutputSpec, Scenario, WorkloadSpec};
pub use sweep::SweepAxis;

/// A scenario file that failed to load: which file, where, and what was expected.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    // The io error is exposed as `source()`, so the message does not repeat it: `{e:#}` prints
    // the chain once.
    #[error("{path}: cannot read the scenario file")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not UTF-8 text.
    #[error("{path}:{line}: not UTF-8 text (invalid byte at byte offset {byte}, line {line}, column {column}); scenario files must be UTF-8")]
    Encoding {
        /// The file.
        path: PathBuf,
        /// Line of the first invalid byte (1-based).
        line: usize,
        /// Column (1-based, in bytes) of the first invalid byte.
        column: usize,
        /// Offset of the first invalid byte (0-based).
        byte: usize,
    },
    /// The file is not valid TOML.
    #[error("{path}: {message}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// TOML's message, with line and column.
        message: String,
    },
    /// A key has a wrong or missing value.
    #[error("{path}{}: {error}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Field {
        /// The file.
        path: PathBuf,
        /// The line of the key, when it can be found.
        line: Option<usize>,
        /// The key and the problem.
        error: FieldError,
    },
}

/// One point of a sweep: the values substituted and the resulting scenario.
#[derive(Debug, Clone)]
pub struct SweepPoint {
    /// (dotted key, value) for each swept key.
    pub values: Vec<(String, Value)>,
    /// The scenario with those values.
    pub scenario: Scenario,
    /// The resolved document (for `runs.json`).
    pub document: Table,
}

/// A loaded scenario file.
#[derive(Debug, Clone)]
pub struct ScenarioFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// The swept keys.
    pub axes: Vec<SweepAxis>,
    /// Every sweep point (one when there is no sweep).
    pub points: Vec<SweepPoint>,
    /// Command-line overrides (`--set key=value`), applied to the file before its sweep, in order.
    pub overrides: Vec<(String, Value)>,
}

impl ScenarioFile {
    /// The scenario as written (the first sweep point).
    pub fn base(&self) -> &Scenario {
        &self.points[0].scenario
    }

    /// Makes every trace replay strict: the first malformed line is an error. Node lists, read
    /// leniently when the file was loaded, are read again strictly, so a malformed one fails here.
    pub fn set_strict(&mut self) -> Result<(), crate::workload::WorkloadError> {
        for p in &mut self.points {
            if let WorkloadSpec::Trace { spec, .. } = &mut p.scenario.workload {
                spec.strict = true;
                spec.check_nodes()?;
            }
        }
        Ok(())
    }

    /// Number of runs: sweep points x schedulers x replications.
    pub fn run_count(&self) -> usize {
        self.points
            .iter()
            .map(|p| p.scenario.schedulers.len() * p.scenario.replications as usize)
            .sum()
    }
}

/// Reads, parses and validates a scenario file, expanding its sweep.
pub fn load(path: &Path) -> Result<ScenarioFile, ConfigError> {
    load_with_overrides(path, &[])
}

/// [`load`] with `--set key=value` overrides applied to the document before validation (see
/// [`parse_override`]); an override names the same dotted keys as `[sweep]`.
pub fn load_with_overrides(
    path: &Path,
    overrides: &[(String, Value)],
) -> Result<ScenarioFile, ConfigError> {
    let bytes = std::fs::read(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let text = decode(bytes, path)?;
    parse_with_overrides(&text, path, overrides)
}

/// The file's text, or where its first non-UTF-8 byte is.
fn decode(bytes: Vec<u8>, path: &Path) -> Result<String, ConfigError> {
    String::from_utf8(bytes).map_err(|e| {
        let byte = e.utf8_error().valid_up_to();
        let before = &e.as_bytes()[..byte];
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        ConfigError::Encoding {
            path: path.to_path_buf(),
            line: before.iter().filter(|&&b| b == b'\n').count() + 1,
            column: byte - line_start + 1,
            byte,
        }
    })
}

/// Parses and validates scenario text; `path` is used in messages.
pub fn parse(text: &str, path: &Path) -> Result<ScenarioFile, ConfigError> {
    parse_with_overrides(text, path, &[])
}

/// Parses one `--set KEY=VALUE` argument. The value is read as a TOML value (`3`, `2.5`, `true`,
/// `"10m"`, `[1, 2]`, `{ dist = "constant", value = 1 }`); anything that is not valid TOML is taken
/// as a string, so `--set scenario.horizon=10m` works without quotes.
pub fn parse_override(arg: &str) -> Result<(String, Value), String> {
    let (key, value) = arg.split_once('=').ok_or_else(|| {
        format!("expected --set KEY=VALUE (a dotted scenario key), got \"{arg}\"")
    })?;
    let key = key.trim();
    if key.is_empty() {
        return Err(format!(
            "expected --set KEY=VALUE with a non-empty key, got \"{arg}\""
        ));
    }
    let value = value.trim();
    let parsed = toml::from_str::<Table>(&format!("v = {value}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| Value::String(value.to_string()));
    Ok((key.to_string(), parsed))
}

/// [`parse`] with overrides (see [`load_with_overrides`]). An override of a key that `[sweep]`
/// also sets is refused: which of the two should win would be a guess.
pub fn parse_with_overrides(
    text: &str,
    path: &Path,
    overrides: &[(String, Value)],
) -> Result<ScenarioFile, ConfigError> {
    let doc: Table = toml::from_str(text).map_err(|e| ConfigError::Syntax {
        path: path.to_path_buf(),
        message: syntax_message(text, &e),
    })?;
    // An error at a key that `--set` overrode points at the override, not at the file's line.
    // An override of `a.b.c` that makes `a.b` wrong (a misspelt table) counts too.
    let overridden = |k: &str, key: &str| {
        k == key || k.starts_with(&format!("{key}.")) || key.starts_with(&format!("{k}."))
    };
    let field_err =
        |error: FieldError| match overrides.iter().find(|(k, _)| overridden(k, &error.key)) {
            Some((k, v)) => ConfigError::Field {
                path: path.to_path_buf(),
                line: None,
                error: FieldError::new(
                    error.key.clone(),
                    format!("{} (set by --set {k}={v})", error.message),
                ),
            },
            None => ConfigError::Field {
                path: path.to_path_buf(),
                line: locate(text, &error.key),
                error,
            },
        };
    let axes = sweep::axes(&doc).map_err(field_err)?;
    if let Some(a) = axes.iter().find(|a| UNSWEEPABLE.contains(&a.key.as_str())) {
        return Err(field_err(FieldError::new(
            format!("sweep.\"{}\"", a.key),
            "cannot be swept: every sweep point of a scenario writes to one results directory, labelled with one scenario name; write one scenario file per name or directory instead",
        )));
    }
    let mut base = doc.clone();
    base.remove("sweep");
    for (key, value) in overrides {
        if axes.iter().any(|a| &a.key == key) {
            return Err(field_err(FieldError::new(
                format!("sweep.\"{key}\""),
                format!(
                    "--set {key}=... overrides a key that [sweep] also sets; remove one of the two"
                ),
            )));
        }
        sweep::apply(&mut base, key, value).map_err(|e| ConfigError::Field {
            path: path.to_path_buf(),
            line: None,
            error: FieldError::new(format!("--set {key}"), e.message),
        })?;
    }
    let base_dir = path.parent().unwrap_or(Path::new("."));
    Scenario::from_document(&base, base_dir).map_err(field_err)?;
    let mut points = Vec::new();
    for values in sweep::grid(&axes) {
        let mut resolved = base.clone();
        for (key, value) in &values {
            sweep::apply(&mut resolved, key, value).map_err(field_err)?;
        }
        let scenario = Scenario::from_document(&resolved, base_dir)
            .map_err(|e| field_err(at_point(e, &values)))?;
        budget::Estimate::of(&scenario)
            .check(&scenario)
            .map_err(|e| at_point(e, &values))
            .map_err(field_err)?;
        points.push(SweepPoint {
            values,
            scenario,
            document: resolved,
        });
    }
    let failover_tables: Vec<Option<&Table>> = points
        .iter()
        .map(|p| p.document.get("failover").and_then(Value::as_table))
        .collect();
    crate::failover::check_applicable(&failover_tables).map_err(field_err)?;
    Ok(ScenarioFile {
        path: path.to_path_buf(),
        axes,
        points,
        overrides: overrides.to_vec(),
    })
}

/// Keys that name where and under which label results go: one per scenario file, never swept.
const UNSWEEPABLE: &[&str] = &["scenario", "scenario.name", "output", "output.dir"];

/// Adds "(at sweep point k = v, ...)" to an error found at a sweep point (nothing without a sweep).
fn at_point(e: FieldError, values: &[(String, Value)]) -> FieldError {
    if values.is_empty() {
        return e;
    }
    let at: Vec<String> = values.iter().map(|(k, v)| format!("{k} = {v}")).collect();
    FieldError::new(
        e.key,
        format!("{} (at sweep point {})", e.message, at.join(", ")),
    )
}

/// One line: "line L, column C: what TOML expected (near `source text`)".
fn syntax_message(text: &str, e: &toml::de::Error) -> String {
    let msg = e.message().trim().replace('\n', " ");
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
            let source = text.lines().nth(line - 1).unwrap_or("").trim();
            format!("line {line}, column {column}: invalid TOML: {msg} (near `{source}`)")
        }
        None => format!("invalid TOML: {msg}"),
    }
}

/// Best-effort line number (1-based) of the key named by a dotted path, for error messages.
fn locate(text: &str, key: &str) -> Option<usize> {
    // A key that is a table's own header (`[[cluster.nodes]]`): its first header line.
    let header = text.lines().position(|l| {
        let t = l.split('#').next().unwrap_or("").trim();
        t.starts_with('[') && t.trim_matches(|c| c == '[' || c == ']').trim() == key
    });
    if header.is_some() {
        return header.map(|i| i + 1);
    }
    let segments: Vec<&str> = key
        .split('.')
        .map(|s| s.split('[').next().unwrap_or(s).trim_matches('"'))
        .filter(|s| !s.is_empty())
        .collect();
    let last = *segments.last()?;
    let assigns = |line: &str| {
        let t = line.trim_start();
        t.starts_with(last) && t[last.len()..].trim_start().starts_with('=')
            || line.contains(&format!(" {last} ="))
            || line.contains(&format!("{{{last} ="))
            || line.contains(&format!("{{ {last} ="))
    };
    let hits: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| assigns(l))
        .map(|(i, _)| i + 1)
        .collect();
    if hits.len() == 1 {
        return hits.first().copied();
    }
    // Several: take the first after the header of the enclosing table (for `class[2].x`, the
    // third `[[...class]]` header).
    let section = segments.get(segments.len().wrapping_sub(2)).copied()?;
    let index = key
        .split('.')
        .nth_back(1)
        .and_then(|s| s.split_once('['))
        .and_then(|(_, i)| i.trim_end_matches(']').parse::<usize>().ok())
        .unwrap_or(0);
    let (header, _) = text
        .lines()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim();
            t.starts_with('[')
                && t.trim_matches(|c| c == '[' || c == ']')
                    .split('.')
                    .next_back()
                    == Some(section)
        })
        .nth(index)?;
    hits.into_iter().find(|&h| h > header + 1)
}
