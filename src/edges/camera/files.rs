//! Image files as a camera: one file, or every PNG/JPEG in a folder in name order.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{FrameSource, Gray, SourceError};
use crate::edges::scanner::load_gray;

pub struct ImageFiles {
    label: String,
    paths: Vec<PathBuf>,
    next: usize,
    repeat: bool,
    interval: Duration,
}

impl ImageFiles {
    /// `path` is an image file or a folder of them. `repeat` starts over after the last.
    pub fn open(path: &Path, repeat: bool, interval: Duration) -> Result<Self, SourceError> {
        let paths = if path.is_dir() {
            let entries = std::fs::read_dir(path).map_err(|e| {
                SourceError::Unreadable(format!("cannot read the folder {}: {e}", path.display()))
            })?;
            let mut paths: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| is_image(p))
                .collect();
            paths.sort();
            paths
        } else if path.exists() {
            vec![path.to_path_buf()]
        } else {
            return Err(SourceError::Unreadable(format!(
                "{} does not exist: give an image file or a folder of PNG/JPEG images",
                path.display()
            )));
        };
        if paths.is_empty() {
            return Err(SourceError::NoImages {
                path: path.display().to_string(),
            });
        }
        Ok(Self {
            label: format!("images from {}", path.display()),
            paths,
            next: 0,
            repeat,
            interval,
        })
    }
}

fn is_image(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "png" | "jpg" | "jpeg"))
}

impl FrameSource for ImageFiles {
    fn next_frame(&mut self) -> Result<Option<Gray>, SourceError> {
        if self.next >= self.paths.len() {
            if !self.repeat {
                return Ok(None);
            }
            self.next = 0;
        }
        let path = &self.paths[self.next];
        self.next += 1;
        load_gray(path)
            .map(Some)
            .map_err(|e| SourceError::Unreadable(e.to_string()))
    }

    fn describe(&self) -> String {
        self.label.clone()
    }

    fn pacing(&self) -> Option<Duration> {
        Some(self.interval)
    }
}
