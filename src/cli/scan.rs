//! `lanedesk decode` (QR codes in image files) and `lanedesk cameras`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use serde_json::json;

use crate::edges::scanner::{load_gray, reader};

#[derive(Debug, Args)]
#[command(
    after_help = "Prints one JSON line per file: {\"file\", \"codes\": [texts], \"ms\"}, or {\"file\", \"error\"} for a file that cannot be read (the batch goes on).\nExit status: 0 when every file was read (codes found or not), 1 when some could not be read.\n\nExample:\n  lanedesk decode ../shared/camera-frames/easy/*.jpg"
)]
pub struct DecodeArgs {
    /// PNG or JPEG files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

pub fn decode(args: DecodeArgs) -> ExitCode {
    let mut unreadable = 0;
    for file in &args.files {
        let name = file.display().to_string();
        let line = match load_gray(file) {
            Ok(img) => {
                let started = Instant::now();
                let read = reader::read_still(&img);
                let ms = started.elapsed().as_secs_f64() * 1000.0;
                let codes: Vec<&str> = read.found.iter().map(|f| f.text.as_str()).collect();
                json!({ "file": name, "codes": codes, "ms": (ms * 100.0).round() / 100.0 })
            }
            Err(e) => {
                unreadable += 1;
                json!({ "file": name, "error": e.to_string() })
            }
        };
        // serde_json escapes control characters in decoded text.
        println!("{line}");
    }
    if unreadable > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

#[derive(Debug, Args)]
#[command(after_help = "Example:\n  lanedesk cameras")]
pub struct CamerasArgs {}

#[cfg(feature = "camera")]
pub fn cameras(_: CamerasArgs) -> ExitCode {
    match crate::edges::camera::webcam::list() {
        Ok(list) if list.is_empty() => {
            println!(
                "No camera found. Plug in the lane webcam, or scan from files with --images DIR."
            );
            ExitCode::SUCCESS
        }
        Ok(list) => {
            for c in list {
                println!("{}\t{}\t{}", c.index, c.name, c.description);
            }
            ExitCode::SUCCESS
        }
        Err(e) => super::fail(e),
    }
}

#[cfg(not(feature = "camera"))]
pub fn cameras(_: CamerasArgs) -> ExitCode {
    super::fail(crate::edges::camera::SourceError::CameraSupportMissing)
}
