//! `simctl docker ...`: a scenario on real containers (`run`), and what it needs: the image,
//! cleanup, start-latency calibration.

use anyhow::Result;
use clap::Subcommand;

use crate::runner::clean::{clean_containers, clean_images, Scope};
use crate::runner::docker::DockerCli;
use crate::runner::{calibrate, image, static_bin};

/// The `docker` subcommands.
#[derive(Debug, Subcommand)]
pub enum DockerCommand {
    /// Run a (small) scenario on real containers, decided by the simulator's own control plane.
    Run(super::docker_run::DockerRunArgs),
    /// Remove every container labelled simctl.run (or one run's), and nothing else.
    Clean {
        /// Only this run's containers.
        #[arg(long, value_name = "RUN_ID")]
        run: Option<String>,
        /// Also remove the images simctl built (labelled simctl.image=true).
        #[arg(long)]
        images: bool,
    },
    /// Build (once) the FROM-scratch image holding a static simctl; print its tag and size.
    Image,
    /// Measure container start latency on this engine and print the start_delay key to paste.
    Calibrate {
        /// Containers to start.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1000))]
        samples: u32,
    },
}

/// Runs a `docker` subcommand.
pub fn run(cmd: DockerCommand) -> Result<()> {
    if let DockerCommand::Run(args) = &cmd {
        return super::docker_run::run(args);
    }
    let docker = DockerCli::connect()?;
    match cmd {
        DockerCommand::Clean { run, images } => {
            let scope = run.map_or(Scope::AllRuns, Scope::Run);
            let removed = clean_containers(&docker, &scope)?;
            println!("removed {} container(s)", removed.len());
            if images {
                let removed = clean_images(&docker)?;
                println!("removed {} image(s)", removed.len());
            }
        }
        DockerCommand::Image => {
            let img = ensure(&docker)?;
            let how = if img.built {
                format!("built in {:.2}s", img.build_secs)
            } else {
                "already present".to_string()
            };
            println!("{} ({how}, {} bytes)", img.tag, img.size_bytes);
        }
        DockerCommand::Calibrate { samples } => {
            let img = ensure(&docker)?;
            let run_id = format!("calibrate-{}", std::process::id());
            let c = calibrate::calibrate(&docker, &img.tag, &run_id, samples as usize)?;
            print!("{}", calibrate::report(&c));
        }
        DockerCommand::Run(_) => unreachable!("handled above"),
    }
    Ok(())
}

fn ensure(docker: &DockerCli) -> Result<image::BurnImage> {
    let binary = static_bin::find_or_build()?;
    Ok(image::ensure_image(docker, &binary)?)
}
