//! The Prometheus text exposition format (version 0.0.4): metric families with `# HELP` and
//! `# TYPE` lines, then their samples, label values escaped as the format requires.

use std::fmt::Write;

/// A metric family's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A value that goes up and down.
    Gauge,
    /// A count that only goes up (its name ends in `_total`).
    Counter,
}

/// One sample of a family: its labels and value.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// (name, value) pairs.
    pub labels: Vec<(String, String)>,
    /// The value.
    pub value: f64,
}

/// A metric family.
#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    /// Its name (`simctl_...`, units in the name, counters ending in `_total`).
    pub name: &'static str,
    /// Gauge or counter.
    pub kind: Kind,
    /// One line saying what it measures.
    pub help: &'static str,
    /// Its samples.
    pub samples: Vec<Sample>,
}

impl Family {
    /// A family without samples.
    pub fn new(name: &'static str, kind: Kind, help: &'static str) -> Family {
        debug_assert!(
            (kind == Kind::Counter) == name.ends_with("_total"),
            "{name}: counters, and only counters, end in _total"
        );
        Family {
            name,
            kind,
            help,
            samples: Vec::new(),
        }
    }

    /// Adds a sample with `labels`.
    pub fn with(mut self, labels: &[(&str, &str)], value: f64) -> Family {
        self.samples.push(Sample {
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            value,
        });
        self
    }
}

/// A label value as the format wants it: backslash, double quote and newline escaped.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A value: integers without a fraction, `NaN`, `+Inf`, `-Inf` spelled as the format does.
fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{v}")
    }
}

/// Renders `families` in the text format.
pub fn render(families: &[Family]) -> String {
    let mut out = String::new();
    for f in families {
        let kind = match f.kind {
            Kind::Gauge => "gauge",
            Kind::Counter => "counter",
        };
        let _ = writeln!(out, "# HELP {} {}", f.name, f.help);
        let _ = writeln!(out, "# TYPE {} {kind}", f.name);
        for s in &f.samples {
            let labels = if s.labels.is_empty() {
                String::new()
            } else {
                let inner: Vec<String> = s
                    .labels
                    .iter()
                    .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
                    .collect();
                format!("{{{}}}", inner.join(","))
            };
            let _ = writeln!(out, "{}{labels} {}", f.name, number(s.value));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_render_with_help_type_escaped_labels_and_special_values() {
        let fams = [
            Family::new("simctl_nodes_up", Kind::Gauge, "Nodes up.").with(&[], 3.0),
            Family::new(
                "simctl_tasks_completed_total",
                Kind::Counter,
                "Tasks completed.",
            )
            .with(&[("node", "a\"b\\c\nd")], 2.5)
            .with(&[("node", "x")], f64::NAN),
        ];
        assert_eq!(
            render(&fams),
            "# HELP simctl_nodes_up Nodes up.\n# TYPE simctl_nodes_up gauge\nsimctl_nodes_up 3\n\
             # HELP simctl_tasks_completed_total Tasks completed.\n# TYPE simctl_tasks_completed_total counter\n\
             simctl_tasks_completed_total{node=\"a\\\"b\\\\c\\nd\"} 2.5\nsimctl_tasks_completed_total{node=\"x\"} NaN\n"
        );
    }
}
