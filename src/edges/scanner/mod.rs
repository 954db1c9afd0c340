//! From frames to codes: binarisation, the reader, and (below) the scanner thread.

pub mod binarize;
pub mod found;
pub mod geometry;
pub mod grid;
pub mod live;
pub mod locate;
pub mod reader;
pub mod roi;

use std::path::Path;

use binarize::Gray;

/// Why an image file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ImageFileError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a PNG or JPEG image this reader can decode: {why}")]
    Decode { path: String, why: String },
}

/// Loads a PNG or JPEG file as greyscale. Corrupt files are errors, never panics.
pub fn load_gray(path: &Path) -> Result<Gray, ImageFileError> {
    let bytes = std::fs::read(path).map_err(|source| ImageFileError::Read {
        path: path.display().to_string(),
        source,
    })?;
    gray_from_bytes(&bytes).map_err(|why| ImageFileError::Decode {
        path: path.display().to_string(),
        why,
    })
}

/// Decodes PNG or JPEG bytes to greyscale.
pub fn gray_from_bytes(bytes: &[u8]) -> Result<Gray, String> {
    let image = crate::edges::contain::contained(|| image::load_from_memory(bytes))
        .map_err(|panic| format!("the image decoder failed ({panic})"))?
        .map_err(|e| e.to_string())?;
    let luma = image.into_luma8();
    let (w, h) = (luma.width() as usize, luma.height() as usize);
    Ok(Gray::new(w, h, luma.into_raw()))
}
