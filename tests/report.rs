//! `simctl report`: the report of every bundled scenario is valid HTML (checked by html5ever, the
//! HTML5 parser of Servo, through `scraper`) holding the comparison table and every plot; a merged
//! sharded sweep and a resumed sweep give the same report bytes as one uninterrupted run, apart
//! from the run-cost section; and, where Debian's `chromium` is installed, a headless browser
//! renders the table and every plot with a visible size and saves a screenshot.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{bundled_scenarios, shortening, simctl};
use scraper::{Html, Selector};

fn run(args: &[&str], scenario: &Path, out: &Path) {
    let o = simctl()
        .args(["run", "--quiet", "--jobs", "2"])
        .args(args)
        .arg("--out")
        .arg(out)
        .arg(scenario)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}: {}",
        scenario.display(),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The one results directory under `out`.
fn results_dir(out: &Path) -> PathBuf {
    std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.join("summary.csv").exists())
        .expect("a results directory")
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

/// Parses `report.html` and checks it: no HTML5 parse error, a comparison table naming every
/// scheduler of compare.csv, one inlined SVG figure with a caption per plot file, the sections the
/// directory calls for. Returns the page.
fn check_report(dir: &Path) -> String {
    let page = std::fs::read_to_string(dir.join("report.html")).expect("report.html written");
    let doc = Html::parse_document(&page);
    assert!(
        doc.errors.is_empty(),
        "{}: HTML parse errors: {:?}",
        dir.display(),
        doc.errors
    );
    assert!(
        doc.select(&sel("table.cmp")).next().is_some(),
        "no comparison table"
    );
    let table_text: String = doc
        .select(&sel("#comparison table.cmp td"))
        .map(|td| td.text().collect::<String>())
        .collect::<Vec<_>>()
        .join("\n");
    let compare = std::fs::read_to_string(dir.join("compare.csv")).unwrap();
    let mut r = csv::Reader::from_reader(compare.as_bytes());
    for rec in r.records() {
        let scheduler = rec.unwrap()[0].to_string();
        assert!(
            table_text.lines().any(|l| l == scheduler),
            "{}: scheduler {scheduler} not in the table",
            dir.display()
        );
    }
    let mut plots: Vec<String> = std::fs::read_dir(dir.join("plots"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|n| n.strip_suffix(".svg").map(str::to_string))
        .collect();
    plots.sort();
    assert!(!plots.is_empty(), "{}: no plot drawn", dir.display());
    let mut figures: Vec<String> = doc
        .select(&sel("figure"))
        .map(|f| {
            assert!(f.select(&sel("svg")).next().is_some(), "figure without svg");
            let caption: String = f
                .select(&sel("figcaption"))
                .next()
                .expect("caption")
                .text()
                .collect();
            assert!(caption.len() > 20, "caption too short: {caption}");
            f.value()
                .id()
                .unwrap()
                .strip_prefix("plot-")
                .unwrap()
                .to_string()
        })
        .collect();
    figures.sort();
    assert_eq!(figures, plots, "{}: every plot inlined once", dir.display());
    // The scenario text as stored and the run cost, delimited for cutting.
    let stored = std::fs::read_to_string(dir.join("scenario.toml")).unwrap();
    let pre: Vec<String> = doc
        .select(&sel("#scenario pre"))
        .map(|p| p.text().collect())
        .collect();
    assert_eq!(pre.first(), Some(&stored), "scenario text shown verbatim");
    assert!(page.contains(simctl::report::COST_BEGIN) && page.contains(simctl::report::COST_END));
    let runs: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("runs.json")).unwrap()).unwrap();
    let replays = runs
        .iter()
        .any(|r| r["config"]["workload"]["source"] == "trace");
    assert_eq!(
        doc.select(&sel("section#trace")).next().is_some(),
        replays,
        "trace section iff a replay"
    );
    page
}

#[test]
fn every_bundled_scenario_has_a_valid_report() {
    let tmp = tempfile::tempdir().unwrap();
    for (i, file) in bundled_scenarios().iter().enumerate() {
        let name = file.file_stem().unwrap().to_string_lossy().to_string();
        let out = tmp.path().join(i.to_string());
        let mut args = vec!["--report"];
        for o in shortening(&name) {
            args.extend(["--set", o]);
        }
        run(&args, file, &out);
        check_report(&results_dir(&out));
    }
}

/// A sweep of two keys (a strategy and a condition) with three schedulers.
const SWEEP: &str = r#"
[scenario]
name = "sweep"
seed = 7
horizon = "20m"
warmup = "2m"
replications = 2

[[cluster.nodes]]
count = 4
cpu = 4
memory = "16GiB"

[workload]
source = "synthetic"
arrival = { process = "poisson", rate = 0.5 }
duration = { dist = "exponential", mean = "40s" }
cpu = 1
memory = "1GiB"

[faults]
node_mtbf = "10m"
node_mttr = "1m"

[failover]
policy = "resubmit"
max_attempts = 3

[sweep]
"workload.arrival.rate" = [0.4, 0.8]
"failover.policy" = ["none", "resubmit"]

[[scheduler]]
name = "first-fit"
placement = "first-fit"
[[scheduler]]
name = "least-allocated"
placement = "least-allocated"
[[scheduler]]
name = "random"
placement = "random"
"#;

fn report_without_cost(dir: &Path) -> String {
    simctl::report::without_cost(&std::fs::read_to_string(dir.join("report.html")).unwrap())
}

#[test]
fn sharded_merged_and_resumed_sweeps_give_the_same_report() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tmp.path().join("sweep.toml");
    std::fs::write(&scenario, SWEEP).unwrap();
    run(&["--report"], &scenario, &tmp.path().join("whole"));
    let whole = tmp.path().join("whole/sweep");
    let page = check_report(&whole);
    assert!(
        page.contains("<section id=\"failures\">"),
        "the faults make the failures section"
    );

    // Sharded over three shards, merged, then reported.
    let shards: Vec<PathBuf> = (1..=3)
        .map(|k| tmp.path().join(format!("shard{k}")))
        .collect();
    for (k, dir) in shards.iter().enumerate() {
        run(&["--shard", &format!("{}/3", k + 1)], &scenario, dir);
    }
    let o = simctl()
        .args(["merge", "--out"])
        .arg(tmp.path().join("merged"))
        .args(&shards)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = simctl()
        .arg("report")
        .arg(tmp.path().join("merged/sweep"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    check_report(&tmp.path().join("merged/sweep"));
    assert!(
        report_without_cost(&whole) == report_without_cost(&tmp.path().join("merged/sweep")),
        "merged report differs"
    );

    // Resumed: a third of the runs recorded first (as an interrupted run leaves them), the rest
    // run by --resume.
    let resumed = tmp.path().join("resumed");
    run(&["--shard", "2/3"], &scenario, &resumed);
    run(&["--resume", "--report"], &scenario, &resumed);
    assert!(
        report_without_cost(&whole) == report_without_cost(&resumed.join("sweep")),
        "resumed report differs"
    );
    // The run-cost section is there, and it is the only part cut.
    let full = std::fs::read_to_string(whole.join("report.html")).unwrap();
    assert!(
        full.contains("id=\"run-cost\"")
            && !report_without_cost(&whole).contains("id=\"run-cost\"")
    );
}

/// 25 schedulers and two swept keys: the page must still hold every row and plot.
fn crowded_scenario() -> String {
    let placements = [
        "first-fit",
        "least-allocated",
        "most-allocated",
        "random",
        "best-fit",
    ];
    let mut s = String::from(
        r#"
[scenario]
name = "crowded"
seed = 3
horizon = "10m"
warmup = "1m"
replications = 2

[[cluster.nodes]]
count = 4
cpu = 4
memory = "16GiB"

[workload]
source = "synthetic"
arrival = { process = "poisson", rate = 0.5 }
duration = { dist = "exponential", mean = "30s" }
cpu = 1
memory = "1GiB"

[sweep]
"workload.arrival.rate" = [0.3, 0.6]
"workload.cpu" = [1, 2]
"#,
    );
    for i in 0..25 {
        s.push_str(&format!(
            "[[scheduler]]\nname = \"sched-{i:02}-{p}\"\nplacement = \"{p}\"\n",
            p = placements[i % placements.len()]
        ));
    }
    s
}

/// Headless Chromium, if installed (Debian's `chromium`); `None` with a notice otherwise.
fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser"].iter().find_map(|b| {
        Command::new(b)
            .arg("--version")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|_| PathBuf::from(b))
    });
    if found.is_none() {
        eprintln!(
            "note: no chromium on this machine: the browser check is skipped (.ci/run installs it)"
        );
    }
    found
}

/// Runs Chromium headless on `url` with `extra` arguments and returns its standard output.
fn headless(browser: &Path, extra: &[&str], url: &str) -> String {
    let o = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--virtual-time-budget=5000",
        ])
        .args(extra)
        .arg(url)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Appended to a copy of the report: measures, in the browser, the comparison tables and every
/// plot, and writes what it found into `<pre id="probe">` for `--dump-dom`.
const PROBE: &str = r#"<script>
(function(){
  function shown(e){var r=e.getBoundingClientRect(),s=getComputedStyle(e);return r.width>50&&r.height>20&&s.visibility!=='hidden'&&s.display!=='none';}
  var tables=document.querySelectorAll('#comparison table.cmp'),figs=document.querySelectorAll('figure svg');
  var out={tables:tables.length,tables_shown:Array.from(tables).filter(shown).length,
           rows:document.querySelectorAll('#comparison table.cmp tbody tr').length,
           plots:figs.length,plots_shown:Array.from(figs).filter(shown).length,
           page_width:document.documentElement.scrollWidth};
  var p=document.createElement('pre');p.id='probe';p.textContent=JSON.stringify(out);document.body.appendChild(p);
})();
</script>"#;

#[test]
fn chromium_shows_the_table_and_every_plot() {
    let Some(browser) = chromium() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let crowded = tmp.path().join("crowded.toml");
    std::fs::write(&crowded, crowded_scenario()).unwrap();
    let cases = [
        (PathBuf::from("scenarios/quickstart.toml"), "quickstart"),
        (crowded, "crowded"),
    ];
    for (file, name) in &cases {
        let out = tmp.path().join(name);
        run(&["--report"], file, &out);
        let dir = results_dir(&out);
        check_report(&dir);
        let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
        let probe_page = dir.join("probe.html");
        std::fs::write(
            &probe_page,
            page.replace("</body>", &format!("{PROBE}\n</body>")),
        )
        .unwrap();
        let dom = headless(
            &browser,
            &["--dump-dom"],
            &format!("file://{}", probe_page.display()),
        );
        let json = dom
            .split("<pre id=\"probe\">")
            .nth(1)
            .and_then(|s| s.split("</pre>").next())
            .unwrap_or_else(|| panic!("{name}: the probe did not run: {dom:.300}"));
        let found: serde_json::Value = serde_json::from_str(json).unwrap();
        let doc = Html::parse_document(&page);
        let tables = doc.select(&sel("#comparison table.cmp")).count() as u64;
        let rows = doc.select(&sel("#comparison table.cmp tbody tr")).count() as u64;
        let plots = doc.select(&sel("figure svg")).count() as u64;
        assert_eq!(found["tables"], tables, "{name}: {found}");
        assert_eq!(
            found["tables_shown"], tables,
            "{name}: a table is not visible: {found}"
        );
        assert_eq!(found["rows"], rows, "{name}: {found}");
        assert_eq!(found["plots"], plots, "{name}: {found}");
        assert_eq!(
            found["plots_shown"], plots,
            "{name}: a plot is not visible: {found}"
        );
        if *name == "crowded" {
            assert_eq!(
                rows,
                25 * 2 * 2,
                "25 schedulers x 2 policies-free points x 2 groups"
            );
        }
        let shot = shots.join(format!("{name}.png"));
        headless(
            &browser,
            &[
                "--window-size=1280,2000",
                &format!("--screenshot={}", shot.display()),
            ],
            &format!("file://{}", dir.join("report.html").display()),
        );
        let png = std::fs::read(&shot).expect("screenshot written");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
        eprintln!("screenshot: {}", shot.display());
    }
}
