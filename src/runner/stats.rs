//! Per-container usage from `docker stats --no-stream --format '{{json .}}'`: CPU % (100 = one
//! core) and memory bytes in use.

use super::docker::DockerCli;
use super::error::RuntimeError;

/// One container's usage at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerUsage {
    /// The container id as the engine printed it.
    pub id: String,
    /// CPU in percent of one core (150.0 = one and a half cores).
    pub cpu_percent: f64,
    /// Memory in use, bytes.
    pub memory_bytes: u64,
}

/// Parses one line of `docker stats --format '{{json .}}'` (`"CPUPerc":"12.34%"`,
/// `"MemUsage":"1.5MiB / 64MiB"`).
pub fn parse_stats_line(line: &str) -> Result<ContainerUsage, String> {
    #[derive(serde::Deserialize)]
    struct Raw {
        #[serde(rename = "ID")]
        id: String,
        #[serde(rename = "CPUPerc")]
        cpu: String,
        #[serde(rename = "MemUsage")]
        mem: String,
    }
    let raw: Raw =
        serde_json::from_str(line).map_err(|e| format!("not a docker stats line ({e}): {line}"))?;
    let cpu_percent = raw
        .cpu
        .trim()
        .trim_end_matches('%')
        .parse::<f64>()
        .map_err(|_| format!("CPUPerc \"{}\" is not a percentage", raw.cpu))?;
    let used = raw.mem.split('/').next().unwrap_or("").trim();
    let memory_bytes = crate::units::parse_size_bytes(used)
        .map_err(|e| format!("MemUsage \"{}\": {e}", raw.mem))? as u64;
    Ok(ContainerUsage {
        id: raw.id,
        cpu_percent,
        memory_bytes,
    })
}

/// The usage of the given containers (one `docker stats --no-stream` call, about a second).
pub fn container_usage(
    docker: &DockerCli,
    ids: &[String],
) -> Result<Vec<ContainerUsage>, RuntimeError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut args = vec![
        "stats".to_string(),
        "--no-stream".into(),
        "--no-trunc".into(),
        "--format".into(),
        "{{json .}}".into(),
    ];
    args.extend(ids.iter().cloned());
    let out = docker.run(&args)?;
    out.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            parse_stats_line(l).map_err(|detail| RuntimeError::Parse {
                command: "stats".into(),
                detail,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captured_stats_lines_parse() {
        for line in include_str!("../../tests/fixtures/docker_stats.jsonl")
            .lines()
            .filter(|l| !l.is_empty())
        {
            let u = parse_stats_line(line).unwrap();
            assert!(!u.id.is_empty());
            assert!(u.cpu_percent >= 0.0);
        }
        let u = parse_stats_line(r#"{"ID":"ab","CPUPerc":"49.87%","MemUsage":"64.2MiB / 128MiB"}"#)
            .unwrap();
        assert_eq!(u.cpu_percent, 49.87);
        assert_eq!(u.memory_bytes, (64.2 * 1024.0 * 1024.0) as u64);
    }

    #[test]
    fn malformed_stats_are_errors() {
        assert!(parse_stats_line(r#"{"ID":"a","CPUPerc":"--","MemUsage":"0B / 0B"}"#).is_err());
        assert!(parse_stats_line(r#"{"ID":"a","CPUPerc":"1%","MemUsage":"lots"}"#).is_err());
    }
}
