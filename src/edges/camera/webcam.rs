//! The lane's webcam, through nokhwa (V4L2 on Linux). Built with the cargo feature `camera`.
//!
//! Frames arrive as YUYV or MJPEG and are converted to greyscale through nokhwa's `Buffer`.
//! nokhwa's MJPEG decoder (mozjpeg) panics on a corrupt frame: the conversion runs inside a
//! panic fence, and the frame is skipped with a message. A camera that disappears is
//! reopened, at most once a second, until it comes back.

use std::time::{Duration, Instant};

use nokhwa::pixel_format::LumaFormat;
use nokhwa::utils::{
    ApiBackend, CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType,
    Resolution,
};
use nokhwa::{Buffer, Camera};

use super::{FrameSource, Gray, SourceError};
use crate::edges::contain::contained;

/// The pixel formats lane webcams deliver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawFormat {
    Yuyv,
    Mjpeg,
}

/// Converts one raw camera frame to greyscale. Never panics, whatever the bytes.
pub fn gray_from_raw(
    width: u32,
    height: u32,
    bytes: &[u8],
    format: RawFormat,
) -> Result<Gray, SourceError> {
    let corrupt = |why: String| SourceError::CorruptFrame { why };
    let frame_format = match format {
        RawFormat::Yuyv => {
            let expected = width as usize * height as usize * 2;
            if bytes.len() != expected {
                return Err(corrupt(format!(
                    "a {width}x{height} YUYV frame is {expected} bytes, this one is {}",
                    bytes.len()
                )));
            }
            FrameFormat::YUYV
        }
        RawFormat::Mjpeg => {
            if !bytes.starts_with(&[0xff, 0xd8]) {
                return Err(corrupt(
                    "the MJPEG frame does not start with a JPEG header".into(),
                ));
            }
            FrameFormat::MJPEG
        }
    };
    let buffer = Buffer::new(Resolution::new(width, height), bytes, frame_format);
    let image = contained(|| buffer.decode_image::<LumaFormat>())
        .map_err(|panic| corrupt(format!("the decoder failed: {panic}")))?
        .map_err(|e| corrupt(e.to_string()))?;
    let (w, h) = (image.width() as usize, image.height() as usize);
    Ok(Gray::new(w, h, image.into_raw()))
}

/// One camera as the system lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CameraEntry {
    pub index: String,
    pub name: String,
    pub description: String,
}

/// The cameras this machine has. An empty list is not an error.
pub fn list() -> Result<Vec<CameraEntry>, String> {
    let cameras = contained(|| nokhwa::query(ApiBackend::Auto))
        .map_err(|panic| format!("listing cameras failed: {panic}"))?
        .map_err(|e| format!("cannot list cameras: {e}"))?;
    Ok(cameras
        .into_iter()
        .map(|c| CameraEntry {
            index: c.index().to_string(),
            name: crate::domain::text::sanitize(&c.human_name()),
            description: crate::domain::text::sanitize(c.description()),
        })
        .collect())
}

pub struct Webcam {
    index: u32,
    width: u32,
    height: u32,
    fps: u32,
    camera: Option<Camera>,
    last_open: Option<Instant>,
    opened_once: bool,
}

impl Webcam {
    /// Opens camera `index` asking for the closest format to `width`×`height` at `fps`.
    pub fn open(index: u32, width: u32, height: u32, fps: u32) -> Result<Self, SourceError> {
        let mut cam = Self {
            index,
            width,
            height,
            fps,
            camera: None,
            last_open: None,
            opened_once: false,
        };
        cam.reopen()?;
        Ok(cam)
    }

    fn reopen(&mut self) -> Result<(), SourceError> {
        self.last_open = Some(Instant::now());
        let format =
            RequestedFormat::new::<LumaFormat>(RequestedFormatType::Closest(CameraFormat::new(
                Resolution::new(self.width, self.height),
                FrameFormat::MJPEG,
                self.fps,
            )));
        let index = self.index;
        let opened = contained(|| -> Result<Camera, nokhwa::NokhwaError> {
            let mut camera = Camera::new(CameraIndex::Index(index), format)?;
            camera.open_stream()?;
            Ok(camera)
        });
        let why = match opened {
            Ok(Ok(camera)) => {
                self.camera = Some(camera);
                self.opened_once = true;
                return Ok(());
            }
            Ok(Err(e)) => e.to_string(),
            Err(panic) => format!("the camera driver failed: {panic}"),
        };
        Err(if self.opened_once {
            SourceError::Disconnected { why }
        } else {
            SourceError::NoCamera { index, why }
        })
    }
}

impl FrameSource for Webcam {
    fn next_frame(&mut self) -> Result<Option<Gray>, SourceError> {
        if self.camera.is_none() {
            // Reconnect at most once a second.
            if let Some(wait) = self
                .last_open
                .map(|t| Duration::from_secs(1).saturating_sub(t.elapsed()))
            {
                std::thread::sleep(wait);
            }
            self.reopen()?;
        }
        let Some(camera) = self.camera.as_mut() else {
            return Err(SourceError::Disconnected {
                why: "the camera closed while reopening".into(),
            });
        };
        let buffer = match contained(|| camera.frame()) {
            Ok(Ok(buffer)) => buffer,
            Ok(Err(e)) => {
                self.camera = None;
                return Err(SourceError::Disconnected { why: e.to_string() });
            }
            Err(panic) => {
                self.camera = None;
                return Err(SourceError::Disconnected {
                    why: format!("the camera driver failed: {panic}"),
                });
            }
        };
        let format = match buffer.source_frame_format() {
            FrameFormat::YUYV => RawFormat::Yuyv,
            FrameFormat::MJPEG => RawFormat::Mjpeg,
            other => {
                return Err(SourceError::CorruptFrame {
                    why: format!("the camera sent {other:?} frames; lanedesk reads YUYV and MJPEG"),
                });
            }
        };
        let res = buffer.resolution();
        gray_from_raw(res.width_x, res.height_y, buffer.buffer(), format).map(Some)
    }

    fn describe(&self) -> String {
        format!(
            "camera {} ({}x{} at {} fps requested)",
            self.index, self.width, self.height, self.fps
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 4×2 YUYV frame: pairs of pixels share chroma; luma is what the scanner needs.
    #[test]
    fn yuyv_bytes_become_greyscale() {
        let (y_dark, y_light) = (16u8, 235u8);
        let mut bytes = Vec::new();
        for _ in 0..2 {
            bytes.extend_from_slice(&[y_dark, 128, y_dark, 128, y_light, 128, y_light, 128]);
        }
        let gray = gray_from_raw(4, 2, &bytes, RawFormat::Yuyv).unwrap();
        assert_eq!((gray.width, gray.height), (4, 2));
        assert!(gray.at(0, 0) < 40, "{:?}", gray.pixels);
        assert!(gray.at(3, 1) > 200, "{:?}", gray.pixels);
    }

    #[test]
    fn a_short_yuyv_frame_is_refused_with_its_size() {
        let err = gray_from_raw(640, 480, &[0; 100], RawFormat::Yuyv).unwrap_err();
        assert!(
            err.to_string().contains("614400 bytes, this one is 100"),
            "{err}"
        );
    }

    #[test]
    fn no_camera_gives_a_clear_message_and_no_panic() {
        // No machine has /dev/video99; a lane whose camera is unplugged sees the same.
        let err = Webcam::open(99, 1280, 720, 30)
            .err()
            .expect("there is no camera 99");
        let text = err.to_string();
        assert!(text.contains("no camera at index 99"), "{text}");
        assert!(text.contains("--images"), "{text}");
        assert!(list().is_ok());
    }
}
