//! What a read found: the decoded code and its payload as text. Its own file so that the
//! reader and the locators it runs (`locate.rs`, `grid/`) all import it without a circle.

/// A decoded code.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The payload exactly as encoded.
    pub bytes: Vec<u8>,
    /// The payload as text: UTF-8, else Shift_JIS, else ISO-8859-1 (the QR default).
    pub text: String,
    /// Top-left, top-right, bottom-right, bottom-left, in the image's pixels.
    pub corners: [(f32, f32); 4],
    pub version: usize,
}

/// QR byte mode has no declared encoding here: UTF-8 when it is valid UTF-8, else Shift_JIS
/// (Japanese codes and kanji mode), else ISO-8859-1 (the standard's default).
pub fn bytes_to_text(bytes: &[u8]) -> String {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return s.to_owned();
    }
    let (text, _, had_errors) = encoding_rs::SHIFT_JIS.decode(bytes);
    if !had_errors {
        return text.into_owned();
    }
    bytes.iter().map(|&b| b as char).collect()
}
