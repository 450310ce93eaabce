//! Prints `trace info` for a file and measures parse speed.
//!
//! `cargo run --release --example trace_info -- FORMAT FILE` prints the summary, then lines read per
//! second of wall time (the whole replay pipeline: decompression, parsing, ordering, conversion).

use std::time::Instant;

use simctl::workload::trace::{trace_info, TraceFormat};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: trace_info FORMAT FILE");
        std::process::exit(2);
    }
    let format = TraceFormat::parse(&args[1]).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    let start = Instant::now();
    match trace_info(std::path::Path::new(&args[2]), format, false) {
        Ok(info) => {
            let secs = start.elapsed().as_secs_f64();
            print!("{info}");
            println!(
                "parsed {} lines in {secs:.3} s: {:.0} lines/s",
                info.lines,
                info.lines as f64 / secs
            );
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
