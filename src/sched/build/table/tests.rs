use super::*;
use crate::config::field::FieldError;
use crate::sched::build::build_scheduler;

fn parse(text: &str) -> Result<SchedulerSpec, FieldError> {
    let table: toml::Table = text.parse().expect("test TOML is valid");
    SchedulerSpec::from_table(&table, "scheduler[0]")
}

fn err_key(text: &str) -> String {
    parse(text).expect_err("should be rejected").key
}

#[test]
fn every_named_placement_parses_and_builds() {
    for name in PlacementSpec::names() {
        let spec = parse(&format!("name = \"x\"\nplacement = \"{name}\"")).unwrap();
        let _ = build_scheduler(&spec, crate::rng::stream(1, "s"));
    }
}

#[test]
fn parameters_reach_their_algorithms() {
    let s = parse("name = \"x\"\nplacement = \"power-of-d\"\nd = 3").unwrap();
    assert_eq!(s.placement, PlacementSpec::PowerOfD { d: 3 });
    let s = parse("name = \"x\"\nplacement = \"kumar-sharma\"\nthreshold = 0.5").unwrap();
    assert_eq!(s.placement, PlacementSpec::KumarSharma { threshold: 0.5 });
    let s = parse("name = \"x\"\nplacement = \"e-pvm\"\nbase = 16").unwrap();
    assert_eq!(s.placement, PlacementSpec::EPvm { base: 16 });
    let s = parse("name = \"x\"\nqueue = \"priority\"\npreempt = true\nplacement = \"first-fit\"")
        .unwrap();
    assert_eq!(s.queue, QueuePolicy::PreemptivePriority);
    let s = parse("name = \"x\"\nqueue = \"easy-backfill\"\nplacement = \"best-fit\"").unwrap();
    assert_eq!(s.queue, QueuePolicy::EasyBackfill);
}

#[test]
fn composed_scores_take_filters_sampling_and_an_epvm_base() {
    let s = parse(
        r#"name = "x"
placement = { score = [{ fn = "least-allocated", weight = 2 }, { fn = "e-pvm", base = 8 }], filter = ["max-utilisation:0.9"], sample_percent = 30 }"#,
    )
    .unwrap();
    assert_eq!(
        s.placement,
        PlacementSpec::Score {
            scores: vec![
                (ScoreFn::LeastAllocated, 2.0),
                (ScoreFn::EPvm { base: 8 }, 1.0)
            ],
            filters: vec![Filter::MaxUtilisation(0.9)],
            sample_percent: Some(30),
        }
    );
    // A named score placement with sampling becomes the equivalent score list.
    let s =
        parse("name = \"x\"\nplacement = \"balanced-allocation\"\nsample_percent = 10").unwrap();
    assert_eq!(
        s.placement,
        PlacementSpec::Score {
            scores: vec![(ScoreFn::BalancedAllocation, 1.0)],
            filters: vec![],
            sample_percent: Some(10),
        }
    );
}

#[test]
fn unknown_keys_and_bad_values_name_the_key() {
    assert_eq!(
        err_key("name = \"x\"\nplacement = \"mct\"\nspeed = 2"),
        "scheduler[0].speed"
    );
    assert_eq!(
        err_key("name = \"x\"\nplacement = \"power-of-d\"\nd = 0"),
        "scheduler[0].d"
    );
    assert_eq!(
        err_key("name = \"x\"\nplacement = \"first-fit\"\nd = 2"),
        "scheduler[0].d"
    );
    assert_eq!(
        err_key("name = \"x\"\nplacement = \"kumar-sharma\"\nthreshold = -1"),
        "scheduler[0].threshold"
    );
    assert_eq!(
        err_key("name = \"x\"\nplacement = \"e-pvm\"\nbase = 1"),
        "scheduler[0].base"
    );
    assert_eq!(
        err_key("name = \"x\"\nplacement = \"first-fit\"\npreempt = true"),
        "scheduler[0].preempt"
    );
    assert_eq!(
        err_key("name = \"x\"\nplacement = \"first-fit\"\npreempt = 1"),
        "scheduler[0].preempt"
    );
    assert_eq!(
        err_key("name = \"x\"\nplacement = \"jsq\"\nfilter = [\"max-utilisation:0.9\"]"),
        "scheduler[0].filter"
    );
    assert_eq!(
        err_key("name = \"x\"\nplacement = \"dot-product\"\nsample_percent = 0"),
        "scheduler[0].sample_percent"
    );
    assert_eq!(
        err_key("name = \"x\"\nplacement = \"dot-product\"\nfilter = [\"hot\"]"),
        "scheduler[0].filter[0]"
    );
    assert_eq!(
        err_key("name = \"x\"\nplacement = \"best-fitt\""),
        "scheduler[0].placement"
    );
    assert_eq!(
        err_key("name = \"x\"\nqueue = \"sjf\"\nplacement = \"min-min\""),
        "scheduler[0].queue"
    );
    assert_eq!(
        err_key("name = \"x\"\nplacement = { score = [{ fn = \"dot-product\", base = 3 }] }"),
        "scheduler[0].placement.score[0].base"
    );
    assert_eq!(
        err_key("name = \"x\"\nplacement = { score = [{ fn = \"least-allocated\" }], seed = 1 }"),
        "scheduler[0].placement.seed"
    );
}

#[test]
fn the_drafted_catalogue_scenario_parses() {
    let text = include_str!("../../../../scenarios/algorithms.toml");
    let doc: toml::Table = text.parse().expect("the draft is valid TOML");
    let tables = doc["scheduler"].as_array().expect("[[scheduler]] tables");
    let mut names = Vec::new();
    for (i, t) in tables.iter().enumerate() {
        let spec = SchedulerSpec::from_table(t.as_table().unwrap(), &format!("scheduler[{i}]"))
            .unwrap_or_else(|e| panic!("{e}"));
        names.push(spec.name);
    }
    // Every placement and every queue discipline appears at least once.
    for name in PlacementSpec::names() {
        assert!(
            text.contains(&format!("placement = \"{name}\"")),
            "{name} missing"
        );
    }
    for queue in crate::sched::queue::QUEUE_NAMES
        .iter()
        .filter(|q| **q != "fifo")
    {
        assert!(
            text.contains(&format!("queue = \"{queue}\"")),
            "{queue} missing"
        );
    }
    assert_eq!(names.len(), tables.len());
}

#[test]
fn sample_wraps_its_takers_and_refuses_bad_values() {
    let s = parse("name = \"x\"\nplacement = \"balanced-allocation\"\nsample = 64").unwrap();
    let sampled = |of| PlacementSpec::Sampled {
        sample: 64,
        of: Box::new(of),
    };
    assert_eq!(s.placement, sampled(PlacementSpec::BalancedAllocation));
    let s = parse("name = \"x\"\nplacement = \"min-min\"\nsample = 64").unwrap();
    assert_eq!(s.placement, sampled(PlacementSpec::MinMin));
    let s =
        parse("name = \"x\"\nplacement = \"kumar-sharma\"\nthreshold = 0.5\nsample = 64").unwrap();
    assert_eq!(
        s.placement,
        sampled(PlacementSpec::KumarSharma { threshold: 0.5 })
    );
    let s = parse(
        "name = \"x\"\nplacement = { score = [{ fn = \"dot-product\" }] }\nfilter = [\"max-utilisation:0.9\"]\nsample = 64",
    )
    .unwrap();
    assert_eq!(
        s.placement,
        sampled(PlacementSpec::Score {
            scores: vec![(ScoreFn::DotProduct, 1.0)],
            filters: vec![Filter::MaxUtilisation(0.9)],
            sample_percent: None,
        })
    );
    for bad in [
        "placement = \"dot-product\"\nsample = 0",
        "placement = \"dot-product\"\nsample = -3",
        "placement = \"dot-product\"\nsample = 6.5",
        "placement = \"dot-product\"\nsample = \"64\"",
        "placement = \"dot-product\"\nsample = 64\nsample_percent = 10",
        "placement = \"first-fit\"\nsample = 64",
        "placement = \"least-connections\"\nsample = 64",
    ] {
        let e = parse(&format!("name = \"x\"\n{bad}")).expect_err(bad);
        assert_eq!(e.key, "scheduler[0].sample", "{bad}: {e}");
    }
    let e = parse("name = \"x\"\nplacement = \"jsq\"\nsample = 8").unwrap_err();
    assert!(e
        .message
        .starts_with("applies only to placement = \"least-allocated\""));
}
