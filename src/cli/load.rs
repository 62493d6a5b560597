//! Reading `.bp` files from disk for every command (`check`, `run`, `test`, `repl`), and
//! compiling them with the diagnostics that only the file level can see.
//!
//! - A file is read as bytes. A UTF-8 byte-order mark is dropped. Invalid UTF-8 never stops
//!   the run: the text is decoded lossily (each bad sequence becomes U+FFFD) and an E0001
//!   points at the first bad byte, so the user sees one clear diagnostic and exit 1.
//! - A file that cannot be read (missing, a directory, no permission, larger than
//!   `MAX_FILE_BYTES`) is a usage problem: the caller prints `ReadError` and exits 2.

use std::fmt;
use std::io::Read;
use std::path::Path;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::span::Span;
use crate::Compilation;

/// The largest source file accepted (spans are 32-bit offsets; real programs are far smaller).
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// A source file as read from disk: its name as given, its text, and where its first invalid
/// UTF-8 byte was (an offset into `text`, which holds U+FFFD there).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadedFile {
    pub name: String,
    pub text: String,
    pub invalid_utf8_at: Option<usize>,
}

/// Why a file could not be read: its path and the reason, for one line on stderr.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadError {
    pub path: String,
    pub reason: String,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: cannot read `{}`: {}", self.path, self.reason)
    }
}

/// Reads one file, as bytes, with the size limit.
pub fn read(path: &str) -> Result<LoadedFile, ReadError> {
    let fail = |reason: String| ReadError { path: path.to_string(), reason };
    let file = std::fs::File::open(Path::new(path)).map_err(|e| fail(io_reason(&e)))?;
    let too_large = || fail(format!("the file is larger than {} MiB", MAX_FILE_BYTES >> 20));
    // Refuse a huge regular file before reading it; `take` still bounds pipes and devices.
    if file.metadata().is_ok_and(|m| m.is_file() && m.len() > MAX_FILE_BYTES) {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(|e| fail(io_reason(&e)))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large());
    }
    Ok(decode(path, bytes))
}

/// Reads every file; all unreadable ones are reported, not just the first.
pub fn read_all(paths: &[String]) -> Result<Vec<LoadedFile>, Vec<ReadError>> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        match read(path) {
            Ok(file) => files.push(file),
            Err(error) => errors.push(error),
        }
    }
    if errors.is_empty() {
        Ok(files)
    } else {
        Err(errors)
    }
}

/// Decodes file bytes: drops a UTF-8 BOM, decodes lossily and remembers the first bad byte.
pub fn decode(name: &str, mut bytes: Vec<u8>) -> LoadedFile {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    let (text, invalid_utf8_at) = match String::from_utf8(bytes) {
        Ok(text) => (text, None),
        Err(error) => {
            // The valid prefix is the same in the lossy text, so the offset still points at
            // the replacement character.
            let at = error.utf8_error().valid_up_to();
            (String::from_utf8_lossy(error.as_bytes()).into_owned(), Some(at))
        }
    };
    LoadedFile { name: name.to_string(), text, invalid_utf8_at }
}

/// Compiles the files with the stdlib (`crate::compile`) and adds an E0001 for each file with
/// invalid UTF-8. A syntax error the parser reports at the same place is the same root cause
/// and is dropped.
pub fn compile(files: &[LoadedFile]) -> Compilation {
    let inputs: Vec<(String, String)> =
        files.iter().map(|f| (f.name.clone(), f.text.clone())).collect();
    let mut compilation = crate::compile(&inputs);
    let first_user_file = compilation.sources.len() - files.len();
    let mut extra = Vec::new();
    for (index, file) in files.iter().enumerate() {
        let Some(at) = file.invalid_utf8_at else { continue };
        let Some((id, _)) = compilation.sources.files().nth(first_user_file + index) else {
            continue;
        };
        let span = Span::new(id, at, at + char::REPLACEMENT_CHARACTER.len_utf8());
        compilation
            .diagnostics
            .retain(|d| !(d.code == Code::E0001 && d.span().start_point() == span.start_point()));
        extra.push(invalid_utf8(span));
    }
    if !extra.is_empty() {
        let mut sink = Diagnostics::new();
        sink.extend(std::mem::take(&mut compilation.diagnostics));
        sink.extend(extra);
        compilation.diagnostics = sink.into_sorted();
    }
    compilation
}

fn invalid_utf8(span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::E0001,
        "invalid UTF-8 in source file",
        span,
        "this byte is not valid UTF-8",
    )
    .with_note("`.bp` files are UTF-8 text")
    .with_help("save the file with the UTF-8 encoding")
}

/// The reason an IO operation failed, in a few lowercase words.
fn io_reason(error: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match error.kind() {
        ErrorKind::NotFound => "no such file".to_string(),
        ErrorKind::PermissionDenied => "permission denied".to_string(),
        ErrorKind::IsADirectory => "it is a directory".to_string(),
        _ => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_keeps_valid_text_and_drops_a_byte_order_mark() {
        let file = decode("a.bp", b"\xEF\xBB\xBFconst x = 1\n".to_vec());
        assert_eq!((file.text.as_str(), file.invalid_utf8_at), ("const x = 1\n", None));
    }

    #[test]
    fn invalid_utf8_is_replaced_and_located() {
        let file = decode("a.bp", b"// caf\xE9 au lait\n".to_vec());
        assert_eq!(file.invalid_utf8_at, Some(6));
        assert_eq!(file.text, "// caf\u{FFFD} au lait\n");
    }

    #[test]
    fn compiling_invalid_utf8_reports_one_e0001_at_the_bad_byte() {
        let file = decode("a.bp", b"// caf\xE9\n".to_vec());
        let compilation = compile(&[file]);
        let utf8: Vec<_> =
            compilation.diagnostics.iter().filter(|d| d.message.contains("UTF-8")).collect();
        assert_eq!(utf8.len(), 1);
        assert_eq!(utf8[0].code, Code::E0001);
        assert_eq!(compilation.sources.start_of(utf8[0].span()), (1, 7));
        assert_eq!(compilation.sources.get(utf8[0].span().file).name, "a.bp");
    }

    #[test]
    fn a_missing_file_is_a_read_error_naming_the_path() {
        let error = read("no/such/file.bp").expect_err("missing");
        assert_eq!(error.to_string(), "error: cannot read `no/such/file.bp`: no such file");
    }

    #[test]
    fn a_directory_is_a_read_error() {
        let dir = std::env::temp_dir();
        assert!(read(&dir.to_string_lossy()).is_err());
    }
}
