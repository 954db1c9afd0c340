//! Image files as a camera: one file, or every PNG/JPEG in a folder in name order. A folder
//! is watched: its listing is read again (at most every [`RESCAN_EVERY`]) and images added
//! later are read next. An empty folder, or one not made yet, waits for images.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{FrameSource, Gray, SourceError};
use crate::edges::scanner::load_gray;

/// How often a watched folder's listing is read again.
pub const RESCAN_EVERY: Duration = Duration::from_millis(500);

pub struct ImageFiles {
    label: String,
    /// The folder watched for new images; `None` for a single file.
    folder: Option<Folder>,
    paths: Vec<PathBuf>,
    next: usize,
    repeat: bool,
    interval: Duration,
}

struct Folder {
    path: PathBuf,
    known: HashSet<PathBuf>,
    scanned_at: Option<Instant>,
}

impl Folder {
    /// The images not seen before, in name order, when a listing is due. A folder that
    /// cannot be read (not made yet, gone for a moment) has none.
    fn new_images(&mut self) -> Vec<PathBuf> {
        if self
            .scanned_at
            .is_some_and(|at| at.elapsed() < RESCAN_EVERY)
        {
            return vec![];
        }
        self.scanned_at = Some(Instant::now());
        let Ok(entries) = std::fs::read_dir(&self.path) else {
            return vec![];
        };
        let mut found: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| is_image(p) && !self.known.contains(p))
            .collect();
        found.sort();
        self.known.extend(found.iter().cloned());
        found
    }
}

impl ImageFiles {
    /// `path` is an image file, or a folder of them (watched; it may be empty or not made
    /// yet). `repeat` starts over after the last image.
    pub fn open(path: &Path, repeat: bool, interval: Duration) -> Result<Self, SourceError> {
        let folder = if path.is_file() {
            None
        } else if path.is_dir() || !is_image(path) {
            Some(Folder {
                path: path.to_path_buf(),
                known: HashSet::new(),
                scanned_at: None,
            })
        } else {
            return Err(SourceError::Unreadable(format!(
                "{} does not exist: give an image file or a folder of PNG/JPEG images",
                path.display()
            )));
        };
        Ok(Self {
            label: format!("images from {}", path.display()),
            paths: if folder.is_none() {
                vec![path.to_path_buf()]
            } else {
                vec![]
            },
            folder,
            next: 0,
            repeat,
            interval,
        })
    }

    /// Images added to the folder since the last look are read next.
    fn look_for_new(&mut self) {
        let Some(folder) = &mut self.folder else {
            return;
        };
        let found = folder.new_images();
        if !found.is_empty() {
            self.next = self.paths.len();
            self.paths.extend(found);
        }
    }

    /// The next image to read; `Ok(None)` when a single file is done.
    fn next_path(&mut self) -> Result<Option<PathBuf>, SourceError> {
        self.look_for_new();
        if self.next >= self.paths.len() {
            if !self.repeat || self.paths.is_empty() {
                return match &self.folder {
                    Some(folder) => Err(SourceError::WaitingForImages {
                        path: folder.path.display().to_string(),
                    }),
                    None => Ok(None),
                };
            }
            self.next = 0;
        }
        self.next += 1;
        Ok(Some(self.paths[self.next - 1].clone()))
    }
}

fn is_image(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "png" | "jpg" | "jpeg"))
}

impl FrameSource for ImageFiles {
    fn next_frame(&mut self) -> Result<Option<Gray>, SourceError> {
        let Some(path) = self.next_path()? else {
            return Ok(None);
        };
        load_gray(&path)
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
