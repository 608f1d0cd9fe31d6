//! Files a form sends along with its lead: their names made safe, their type read from their
//! first bytes (never from the name or the sender's header), and the limits they must keep.

use std::fmt;

/// A file sent with a lead, as it arrived (its name already [cleaned](clean_filename)).
#[derive(Clone, PartialEq, Eq)]
pub struct Upload {
    /// The file's name, safe to show and to offer for download.
    pub filename: String,
    /// Its bytes.
    pub data: Vec<u8>,
    /// Their SHA-256, in lower-case hex: what tells two files apart.
    pub sha256: String,
}

impl Upload {
    /// A file named `raw_name` (cleaned here) holding `data`.
    pub fn new(raw_name: &str, data: Vec<u8>) -> Upload {
        use sha2::Digest as _;
        let sha256 = sha2::Sha256::digest(&data)
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        Upload {
            filename: clean_filename(raw_name),
            data,
            sha256,
        }
    }

    /// Its type, if it is one a lead may carry (see [`accepted_type`]).
    pub fn accepted_type(&self) -> Option<&'static str> {
        accepted_type(&self.data, &self.filename)
    }
}

impl fmt::Debug for Upload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upload")
            .field("filename", &self.filename)
            .field("bytes", &self.data.len())
            .finish()
    }
}

/// How many files, and how big, a lead may carry (`[attachments]` in the server's config).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttachmentLimits {
    /// The largest file, in bytes.
    pub max_file_bytes: usize,
    /// The most files.
    pub max_files: usize,
    /// All files together, in bytes.
    pub max_total_bytes: usize,
}

impl Default for AttachmentLimits {
    /// 10 MiB a file, 10 files, 25 MiB together.
    fn default() -> Self {
        AttachmentLimits {
            max_file_bytes: 10 << 20,
            max_files: 10,
            max_total_bytes: 25 << 20,
        }
    }
}

/// Which limit a lead's files broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TooLarge {
    /// This file is larger than this many bytes.
    File {
        /// The file's (cleaned) name.
        filename: String,
        /// The limit.
        max: usize,
    },
    /// More files than this.
    Files(usize),
    /// All files together are larger than this many bytes.
    Total(usize),
}

impl AttachmentLimits {
    /// Whether `uploads` keep the limits: the first one broken, if not.
    pub fn check(&self, uploads: &[Upload]) -> Result<(), TooLarge> {
        if uploads.len() > self.max_files {
            return Err(TooLarge::Files(self.max_files));
        }
        if let Some(large) = uploads.iter().find(|upload| upload.data.len() > self.max_file_bytes) {
            return Err(TooLarge::File {
                filename: large.filename.clone(),
                max: self.max_file_bytes,
            });
        }
        if uploads.iter().map(|upload| upload.data.len()).sum::<usize>() > self.max_total_bytes {
            return Err(TooLarge::Total(self.max_total_bytes));
        }
        Ok(())
    }

    /// Which of the files of `sizes` are kept where their lead cannot be refused whole (an
    /// e-mail): in order, each one that fits beside those kept before it.
    ///
    /// ```
    /// use lead_domain::AttachmentLimits;
    ///
    /// let limits = AttachmentLimits { max_file_bytes: 4, max_files: 2, max_total_bytes: 6 };
    /// assert_eq!(limits.kept([5, 3, 2, 2, 1]), [false, true, true, false, false]);
    /// ```
    pub fn kept(&self, sizes: impl IntoIterator<Item = usize>) -> Vec<bool> {
        let (mut files, mut bytes) = (0, 0);
        sizes
            .into_iter()
            .map(|size| {
                let fits =
                    files < self.max_files && size <= self.max_file_bytes && bytes + size <= self.max_total_bytes;
                if fits {
                    files += 1;
                    bytes += size;
                }
                fits
            })
            .collect()
    }
}

/// The most bytes of a cleaned file name.
pub const MAX_FILENAME_BYTES: usize = 255;

/// The name a file sent as `raw` is kept and offered under: its last path component (a
/// browser on Windows may send `C:\Users\…\rechnung.pdf`), without control characters, `..`
/// or leading dots, at most [`MAX_FILENAME_BYTES`] bytes (the extension kept when the name is
/// cut); `Anhang` when nothing is left.
///
/// ```
/// use lead_domain::clean_filename;
///
/// assert_eq!(clean_filename(r"C:\Users\Erika\Foto Paket.jpg"), "Foto Paket.jpg");
/// assert_eq!(clean_filename("../../etc/passwd"), "passwd");
/// assert_eq!(clean_filename("a..b\u{0}\n.pdf"), "ab.pdf");
/// assert_eq!(clean_filename(".."), "Anhang");
/// ```
pub fn clean_filename(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let mut name: String = last.chars().filter(|&c| !c.is_control() && !is_format(c)).collect();
    while name.contains("..") {
        name = name.replace("..", "");
    }
    let name = name.trim().trim_start_matches('.').trim().to_owned();
    if name.is_empty() {
        return "Anhang".to_owned();
    }
    if name.len() <= MAX_FILENAME_BYTES {
        return name;
    }
    // Cut the stem, keep a short extension: „…langer Name.pdf“ stays a PDF to whoever saves it.
    let extension = name
        .rfind('.')
        .map(|dot| &name[dot..])
        .filter(|extension| extension.len() <= 16)
        .unwrap_or("");
    let mut stem_end = MAX_FILENAME_BYTES - extension.len();
    while !name.is_char_boundary(stem_end) {
        stem_end -= 1;
    }
    format!("{}{extension}", &name[..stem_end])
}

/// Whether `c` is an invisible formatting character: a right-to-left override makes
/// `rechnung\u{202E}fdp.exe` look like `rechnungexe.pdf`.
fn is_format(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

/// The extensions a file of `content_type` may have, the usual one first.
fn extensions(content_type: &str) -> &'static [&'static str] {
    match content_type {
        "image/jpeg" => &["jpg", "jpeg", "jpe", "jfif"],
        "image/png" => &["png"],
        "image/webp" => &["webp"],
        "image/heif" => &["heic", "heif"],
        "image/gif" => &["gif"],
        "application/pdf" => &["pdf"],
        "application/msword" => &["doc"],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => &["docx"],
        "application/vnd.ms-excel" => &["xls"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => &["xlsx"],
        "application/vnd.ms-powerpoint" => &["ppt", "pps"],
        "application/vnd.openxmlformats-officedocument.presentationml.presentation" => &["pptx"],
        "application/vnd.oasis.opendocument.text" => &["odt"],
        "application/vnd.oasis.opendocument.spreadsheet" => &["ods"],
        "application/vnd.oasis.opendocument.presentation" => &["odp"],
        "application/zip" => &["zip"],
        "application/rtf" => &["rtf"],
        "text/csv" => &["csv"],
        _ => &["txt"],
    }
}

/// The name a file of `content_type` (as [`accepted_type`] read it) is kept under: its
/// [cleaned](clean_filename) `filename`, with the type's extension appended unless it has one
/// of the type's already — so whoever saves and opens it opens what it is: `rechnung.bat`
/// holding text becomes `rechnung.bat.txt`, `foto` a `foto.jpg`.
///
/// ```
/// use lead_domain::stored_name;
///
/// assert_eq!(stored_name("Rechnung.PDF", "application/pdf"), "Rechnung.PDF");
/// assert_eq!(stored_name("rechnung.bat", "text/plain"), "rechnung.bat.txt");
/// assert_eq!(stored_name("seite.html", "text/plain"), "seite.html.txt");
/// assert_eq!(stored_name("scan", "image/jpeg"), "scan.jpg");
/// ```
pub fn stored_name(filename: &str, content_type: &str) -> String {
    let name = clean_filename(filename);
    let allowed = extensions(content_type);
    let has = name
        .rsplit_once('.')
        .is_some_and(|(_, extension)| allowed.contains(&extension.to_ascii_lowercase().as_str()));
    if has {
        return name;
    }
    let extension = format!(".{}", allowed[0]);
    let mut stem_end = name.len().min(MAX_FILENAME_BYTES - extension.len());
    while !name.is_char_boundary(stem_end) {
        stem_end -= 1;
    }
    format!("{}{extension}", &name[..stem_end])
}

/// The types a lead's file may have, as [`infer`] names them: photos (JPEG, PNG, WebP, HEIC,
/// GIF), PDF, the Office and OpenDocument formats, ZIP. Plain text and CSV are told apart
/// below, since nothing in their bytes marks them.
const ACCEPTED: [&str; 17] = [
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/heif",
    "image/gif",
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
    "application/zip",
    "application/rtf",
];

/// The type of a file holding `data`, if a lead may carry it: read from the bytes, never
/// from the name or the sender's header (an `.exe` called `foto.jpg` is still refused). A file
/// no signature matches is text if it is UTF-8 without NUL characters — `text/csv` when its
/// name (`filename`) ends in `.csv`, `text/plain` otherwise; anything else is refused (`None`),
/// HTML and SVG too, which a browser would run.
///
/// ```
/// use lead_domain::accepted_type;
///
/// assert_eq!(accepted_type(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "x.txt"), Some("image/png"));
/// assert_eq!(accepted_type("Menge;Preis\n2;4,50\n".as_bytes(), "liste.csv"), Some("text/csv"));
/// assert_eq!(accepted_type(b"MZ\x90\0\x03\0\0\0\x04\0\0\0", "foto.jpg"), None);
/// assert_eq!(accepted_type(b"<!DOCTYPE html><html>", "seite.txt"), None);
/// ```
pub fn accepted_type(data: &[u8], filename: &str) -> Option<&'static str> {
    if let Some(kind) = infer::get(data) {
        let mime = kind.mime_type();
        return ACCEPTED.iter().copied().find(|accepted| *accepted == mime);
    }
    let text = std::str::from_utf8(data).ok()?;
    if text.contains('\0') || looks_like_markup(text) {
        return None;
    }
    Some(match filename.to_ascii_lowercase().ends_with(".csv") {
        true => "text/csv",
        false => "text/plain",
    })
}

/// Whether text starts like HTML, XML or SVG (which [`infer`] does not always catch: an SVG
/// without an XML declaration, say).
fn looks_like_markup(text: &str) -> bool {
    let start = text.trim_start_matches('\u{feff}').trim_start();
    let head: String = start.chars().take(16).collect::<String>().to_ascii_lowercase();
    ["<!doctype", "<html", "<svg", "<?xml", "<script", "<head", "<body"]
        .iter()
        .any(|tag| head.starts_with(tag))
}

/// Whether a file of `content_type` may be shown inline (a preview on the lead's page):
/// raster images only — never SVG, HTML or PDF, which can carry scripts.
pub fn previewable(content_type: &str) -> bool {
    matches!(content_type, "image/jpeg" | "image/png" | "image/webp" | "image/gif")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_paths_control_characters_and_dots_and_keep_their_extension_when_cut() {
        assert_eq!(clean_filename("/tmp/x/../y/Rechnung 12.pdf"), "Rechnung 12.pdf");
        assert_eq!(clean_filename("...versteckt"), "versteckt");
        assert_eq!(clean_filename("a\tb\r\nc.txt"), "abc.txt");
        assert_eq!(clean_filename("  "), "Anhang");
        assert_eq!(clean_filename("ok/"), "Anhang");
        let long = format!("{}.pdf", "ä".repeat(200));
        let cut = clean_filename(&long);
        assert!(cut.len() <= MAX_FILENAME_BYTES, "{}", cut.len());
        assert!(cut.ends_with("ä.pdf"), "{cut}");
        let no_extension = "x".repeat(300);
        assert_eq!(clean_filename(&no_extension).len(), MAX_FILENAME_BYTES);
    }

    #[test]
    fn a_kept_name_ends_as_its_type_and_hides_nothing() {
        assert_eq!(clean_filename("rechnung\u{202E}fdp.exe"), "rechnungfdp.exe");
        assert_eq!(clean_filename("a\u{200B}b.txt"), "ab.txt");
        assert_eq!(
            stored_name("rechnung\u{202E}fdp.exe", "application/pdf"),
            "rechnungfdp.exe.pdf"
        );
        assert_eq!(stored_name("foto.JPEG", "image/jpeg"), "foto.JPEG");
        assert_eq!(stored_name("liste.csv", "text/csv"), "liste.csv");
        assert_eq!(stored_name("liste.csv", "text/plain"), "liste.csv.txt");
        assert_eq!(stored_name("x.svg", "text/plain"), "x.svg.txt");
        let long = stored_name(&"a".repeat(300), "application/zip");
        assert_eq!(long.len(), MAX_FILENAME_BYTES);
        assert!(long.ends_with(".zip"));
    }

    #[test]
    fn types_come_from_the_bytes() {
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0];
        assert_eq!(accepted_type(&jpeg, "scan.exe"), Some("image/jpeg"));
        assert_eq!(accepted_type(b"%PDF-1.7\n", "a.pdf"), Some("application/pdf"));
        assert_eq!(accepted_type(b"GIF89a\x01\0\x01\0", "a"), Some("image/gif"));
        assert_eq!(
            accepted_type(b"PK\x03\x04\x14\0\0\0\0\0", "a.zip"),
            Some("application/zip")
        );
        assert_eq!(accepted_type("Grüße\n".as_bytes(), "notiz"), Some("text/plain"));
        assert_eq!(accepted_type(b"", "leer.txt"), Some("text/plain"));
        assert_eq!(accepted_type(b"a\0b", "a.txt"), None, "binary");
        assert_eq!(accepted_type(&[0xC3, 0x28], "a.txt"), None, "not UTF-8");
        assert_eq!(
            accepted_type(b"<svg xmlns='http://www.w3.org/2000/svg'>", "a.txt"),
            None
        );
        assert_eq!(accepted_type(b"\x7fELF\x02\x01\x01\0", "a.pdf"), None);
        assert_eq!(accepted_type(b"#!/bin/sh\nrm -rf /\n", "a.txt"), None);
    }

    #[test]
    fn limits_name_the_first_one_broken() {
        let limits = AttachmentLimits {
            max_file_bytes: 4,
            max_files: 2,
            max_total_bytes: 6,
        };
        let file = |name: &str, n: usize| Upload::new(name, vec![b'x'; n]);
        assert_eq!(limits.check(&[file("a", 4), file("b", 2)]), Ok(()));
        assert_eq!(
            limits.check(&[file("a", 1), file("b", 1), file("c", 1)]),
            Err(TooLarge::Files(2))
        );
        assert_eq!(
            limits.check(&[file("a", 1), file("groß.pdf", 5)]),
            Err(TooLarge::File {
                filename: "groß.pdf".into(),
                max: 4
            })
        );
        assert_eq!(limits.check(&[file("a", 4), file("b", 3)]), Err(TooLarge::Total(6)));
    }

    #[test]
    fn only_raster_images_are_previewed() {
        assert!(previewable("image/png"));
        assert!(!previewable("image/svg+xml"));
        assert!(!previewable("application/pdf"));
        assert!(!previewable("text/html"));
    }
}
